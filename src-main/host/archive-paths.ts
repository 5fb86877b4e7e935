/**
 * Where the host writes and reads run archives (`.dwrun`) for exportRun and importRun. The paths
 * are on the host's machine and come from a client, so they are checked here, at the boundary:
 * every refusal is one line, HostError('bad-input', ..., 'path'), naming the problem and the fix.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ARCHIVE_EXTENSION } from '../contract';
import { HostError } from './errors';

const FIELD = 'path';
/** Errors of a write that a different folder would avoid (as opposed to a full disk or a fault). */
const NOT_WRITABLE = new Set(['EACCES', 'EPERM', 'EROFS']);

function refuse(message: string): HostError {
  return new HostError('bad-input', message, FIELD);
}

type Kind = 'missing' | 'folder' | 'file' | 'other';

/** What is at `p` (following links); anything unreadable counts as missing. */
function kindOf(p: string): Kind {
  try {
    const st = fs.statSync(p, { throwIfNoEntry: false });
    if (!st) return 'missing';
    return st.isDirectory() ? 'folder' : st.isFile() ? 'file' : 'other';
  } catch {
    return 'missing';
  }
}

/** A non-empty, one-line, absolute path. `example` shows the fix. */
function absolutePath(raw: unknown, example: string): string {
  if (typeof raw !== 'string' || raw.trim().length === 0)
    throw refuse(`path must be a non-empty string, e.g. ${example}`);
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this rejects
  if (/[\0-\x1f\x7f]/.test(raw)) throw refuse('path must not contain control characters (newlines, tabs, NUL)');
  if (!path.isAbsolute(raw))
    throw refuse(`${raw} is not an absolute path; give the full path on the host's machine, e.g. ${example}`);
  return raw;
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * The file exportRun writes for the path a client gave: absolute, not a folder, `.dwrun` appended
 * (or `ext`, e.g. `.onnx`) when missing, in an existing folder outside the store's run folders. The host's own
 * `<dataDir>/exports` (the workbench's default destination) is created on first use.
 */
export function exportTarget(raw: unknown, dataDir: string, ext: string = ARCHIVE_EXTENSION): string {
  const exportsDir = path.resolve(dataDir, 'exports');
  const given = absolutePath(raw, path.join(exportsDir, `run${ext}`));
  if (/[\\/]$/.test(given) || kindOf(given) === 'folder') {
    const folder = given.replace(/[\\/]+$/, '') || path.sep;
    throw refuse(
      `${given} names a folder, not a file; give a file path, e.g. ${path.join(folder, `run${ext}`)}`,
    );
  }
  const file = path.normalize(given.toLowerCase().endsWith(ext) ? given : given + ext);
  const kind = kindOf(file);
  if (kind === 'folder') throw refuse(`${file} is a folder; choose another file name`);
  if (kind === 'other') throw refuse(`${file} exists and is not a regular file; choose another file name`);
  const folder = path.dirname(file);
  if (folder === exportsDir && kindOf(folder) === 'missing') fs.mkdirSync(folder, { recursive: true });
  const parent = kindOf(folder);
  if (parent !== 'folder') {
    const why = parent === 'missing' ? 'does not exist' : 'is not a folder';
    throw refuse(`folder ${folder} ${why}; create it first or choose an existing folder`);
  }
  const runsDir = path.resolve(dataDir, 'runs');
  if (isInside(folder, runsDir) || isInside(realPath(folder), realPath(runsDir))) {
    throw refuse(`${file} is inside the run store's own folders; choose another folder, e.g. ${exportsDir}`);
  }
  return file;
}

/** `p` with links resolved, or `p` itself when that fails. */
function realPath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

/** The file importRun reads: an absolute path that is not a folder (a missing file is the store's to report). */
export function importSource(raw: unknown): string {
  const file = absolutePath(raw, `/path/to/run${ARCHIVE_EXTENSION}`);
  if (kindOf(file) === 'folder') throw refuse(`${file} is a folder; give the ${ARCHIVE_EXTENSION} file inside it`);
  return file;
}

/** A write refused by the file system (permissions, read-only disk) becomes a bad path; the store's refusals name the path field. */
export function exportWriteError(e: unknown, file: string): unknown {
  const cause = e instanceof Error ? e.cause : undefined;
  const code = cause instanceof Error && 'code' in cause ? String(cause.code) : '';
  if (NOT_WRITABLE.has(code)) return refuse(`cannot write ${file} (${code}); choose a folder you can write to`);
  const own = e instanceof Error ? (e as { code?: unknown }).code : undefined;
  if (own === 'bad-input' || own === 'conflict') return new HostError(own, (e as Error).message, FIELD);
  return e;
}

/** The store's refusals of an archive (not found, not an archive, damaged) name the path field. */
export function importReadError(e: unknown): unknown {
  if (!(e instanceof Error)) return e;
  const code = (e as { code?: unknown }).code;
  if (code !== 'bad-input' && code !== 'not-found') return e;
  return new HostError(code, e.message, FIELD);
}
