/** Run archives (`.dwrun`) in the UI: where History proposes to export a run (pure, for tests). */
import { ARCHIVE_EXTENSION } from '@contract';

/** Longest file-name stem taken from a run name (file systems allow 255 bytes). */
const MAX_STEM = 120;

/**
 * The run's name as a file name with `.dwrun`: characters no common file system accepts become
 * `-`, spaces are collapsed, leading dots and trailing dots/spaces dropped; the id when nothing is left.
 */
export function archiveFileName(name: string, id: string): string {
  const stem = name
    // eslint-disable-next-line no-control-regex -- control characters are exactly what this replaces
    .replace(/[\\/:*?"<>|\x00-\x1f\x7f]+/g, '-')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^\.+/, '')
    .slice(0, MAX_STEM)
    .replace(/[. ]+$/, '');
  return `${stem || id}${ARCHIVE_EXTENSION}`;
}

/** `<dataDir>/exports/<run name>.dwrun`, with the separator the host's data folder uses. */
export function defaultExportPath(dataDir: string, run: { name: string; id: string }): string {
  const sep = dataDir.includes('\\') && !dataDir.includes('/') ? '\\' : '/';
  const base = dataDir.replace(/[\\/]+$/, '');
  return [base, 'exports', archiveFileName(run.name, run.id)].join(sep);
}
