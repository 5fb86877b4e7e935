/**
 * Bounded reads of files a user or a client names: the one way the workbench reads such a file
 * (a dataset zip, a `.dwrun` archive, a lock's pid file), from the engine, the store and the host.
 *
 * The file is opened with O_NONBLOCK (a FIFO opens at once instead of waiting for a writer), then
 * fstat-ed: anything but a regular file (FIFO, device such as /dev/zero, socket, folder) is refused
 * before a byte is read; the declared size is checked against the cap, and the bytes actually read
 * are counted as well (a file that grows while being read cannot exceed the cap either).
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';

/** A file the workbench will not read; `code` lets every transport answer it as bad input. */
export class FileRefusedError extends Error {
  override name = 'FileRefusedError';
  readonly code: 'bad-input' | 'not-found';
  constructor(code: 'bad-input' | 'not-found', message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export interface ReadLimit {
  /** Largest size accepted, in bytes. */
  maxBytes: number;
  /** What the file should be, for messages: "dataset zip", ".dwrun archive". */
  what: string;
}

const NONBLOCK = fs.constants.O_NONBLOCK ?? 0;
const READ_FLAGS = fs.constants.O_RDONLY | NONBLOCK;

export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let x = n;
  while (x >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return i === 0 ? `${n} bytes` : `${x.toFixed(x < 10 ? 1 : 0)} ${units[i]}`;
}

function kindName(st: fs.Stats): string {
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  if (st.isDirectory()) return 'a folder';
  return 'not a regular file';
}

function openFailed(file: string, e: unknown, what: string): FileRefusedError {
  const code = (e as { code?: unknown }).code;
  if (code === 'ENOENT')
    return new FileRefusedError('not-found', `no file at ${file}; check the path of the ${what}`, { cause: e });
  const why = typeof code === 'string' ? code : e instanceof Error ? e.message : String(e);
  return new FileRefusedError('bad-input', `cannot read ${file} (${why}); check its permissions`, { cause: e });
}

/** Whether `e` is a refusal of the file itself (its kind or size), not a failure to open it. */
export function isRefusedFile(e: unknown): e is FileRefusedError {
  return e instanceof FileRefusedError && e.cause === undefined;
}

/** Refuses what `st` says is not a regular file of at most `limit.maxBytes`. */
export function checkRegular(file: string, st: fs.Stats, limit: ReadLimit): void {
  if (!st.isFile()) {
    throw new FileRefusedError(
      'bad-input',
      `${file} is ${kindName(st)}, not a regular file; give the ${limit.what} itself`,
    );
  }
  if (st.size > limit.maxBytes) throw tooBig(file, st.size, limit);
}

function tooBig(file: string, size: number, limit: ReadLimit): FileRefusedError {
  return new FileRefusedError(
    'bad-input',
    `${file} is ${formatBytes(size)}, more than the ${formatBytes(limit.maxBytes)} a ${limit.what} may be; check that it is the right file`,
  );
}

/** Reads a whole regular file of at most `limit.maxBytes` without blocking the event loop. */
export async function readRegularFile(file: string, limit: ReadLimit): Promise<Buffer> {
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(file, READ_FLAGS);
  } catch (e) {
    throw openFailed(file, e, limit.what);
  }
  try {
    const st = await fh.stat();
    checkRegular(file, st, limit);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(Math.max(st.size - total, 0) + 1, 1 << 24));
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > limit.maxBytes) throw tooBig(file, total, limit);
      chunks.push(buf.subarray(0, bytesRead));
    }
    return Buffer.concat(chunks, total);
  } finally {
    await fh.close();
  }
}

/** The synchronous twin of readRegularFile, for the engine's synchronous loaders (bounded, never blocking). */
export function readRegularFileSync(file: string, limit: ReadLimit): Buffer {
  let fd: number;
  try {
    fd = fs.openSync(file, READ_FLAGS);
  } catch (e) {
    throw openFailed(file, e, limit.what);
  }
  try {
    const st = fs.fstatSync(fd);
    checkRegular(file, st, limit);
    const out = Buffer.allocUnsafe(st.size);
    let total = 0;
    while (total < st.size) {
      const n = fs.readSync(fd, out, total, st.size - total, null);
      if (n === 0) break;
      total += n;
    }
    if (fs.readSync(fd, Buffer.alloc(1), 0, 1, null) > 0) throw tooBig(file, st.size + 1, limit);
    return out.subarray(0, total);
  } finally {
    fs.closeSync(fd);
  }
}

/** The first `n` bytes of a regular file (fewer if it is shorter); refuses pipes and devices. */
export function readHeadSync(file: string, n: number, what: string): Uint8Array {
  let fd: number;
  try {
    fd = fs.openSync(file, READ_FLAGS);
  } catch (e) {
    throw openFailed(file, e, what);
  }
  try {
    checkRegular(file, fs.fstatSync(fd), { maxBytes: Number.MAX_SAFE_INTEGER, what });
    const buf = Buffer.alloc(n);
    const got = fs.readSync(fd, buf, 0, n, 0);
    return buf.subarray(0, got);
  } finally {
    fs.closeSync(fd);
  }
}
