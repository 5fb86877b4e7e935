/** Deciding which of the three layouts a path holds, with clear errors for everything else. */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isRefusedFile, readHeadSync } from '../safe-read';
import { hasBinaryBatches } from './binary';
import { DataError, ioReason, type Layout } from './types';
import { looksLikeZip } from './zip';

export interface Detected {
  layout: Layout;
  /** Absolute path of the zip file or of the folder to read. */
  path: string;
}

const EXPECTED = 'give the path of a CIFAR-10 zip, image folder or cifar-10-batches-bin directory';

function head(file: string): Uint8Array {
  try {
    return readHeadSync(file, 4, 'dataset');
  } catch (e) {
    if (isRefusedFile(e))
      throw new DataError(`${e.message} — ${EXPECTED}`);
    throw new DataError(`cannot read dataset ${file} (${ioReason(e instanceof Error && e.cause ? e.cause : e)}) — check its permissions, or copy it somewhere readable`);
  }
}

function detectFile(path: string): Detected {
  const bytes = head(path);
  const lower = path.toLowerCase();
  const gzip = bytes[0] === 0x1f && bytes[1] === 0x8b;
  if (gzip || lower.endsWith('.tar.gz') || lower.endsWith('.tgz') || lower.endsWith('.tar')) {
    throw new DataError(
      `${path} is a tar archive, which is not read directly — extract it (tar xzf ${path.split(/[\\/]/).pop()}) and give the cifar-10-batches-bin directory`,
    );
  }
  if (looksLikeZip(bytes)) return { layout: 'zip', path };
  if (lower.endsWith('.bin')) {
    throw new DataError(
      `${path} is a single batch file — give the cifar-10-batches-bin directory that holds all six batches`,
    );
  }
  if (lower.endsWith('.zip'))
    throw new DataError(`${path} is not a valid zip file (wrong signature) — re-download or re-create it`);
  throw new DataError(`unrecognised dataset file: ${path} (neither a zip nor a folder) — ${EXPECTED}`);
}

/** Finds the layout at `raw`; throws DataError when the path is missing or holds none. */
export function detectLayout(raw: string): Detected {
  if (!raw.trim()) throw new DataError(`dataset path is empty — ${EXPECTED}`);
  const path = resolve(raw);
  if (!existsSync(path)) throw new DataError(`dataset not found: ${path} — ${EXPECTED}`);
  const st = statSync(path);
  if (!st.isDirectory() && !st.isFile()) {
    // A named pipe or device would block the reader (and the host's event loop) forever.
    throw new DataError(`${path} is not a regular file or folder (a pipe, socket or device) — ${EXPECTED}`);
  }
  if (!st.isDirectory()) return detectFile(path);
  if (hasBinaryBatches(path)) return { layout: 'binary', path };
  const nested = join(path, 'cifar-10-batches-bin');
  if (existsSync(nested) && hasBinaryBatches(nested)) return { layout: 'binary', path: nested };
  return { layout: 'folder', path };
}
