/**
 * Reading a zip's central directory ourselves: fflate's unzip gives names and contents but not the
 * entries' Unix modes (so no way to see a symbolic link) and silently merges duplicate names.
 */

export interface ZipEntryInfo {
  name: string;
  /** Unix mode bits when the entry was made on a Unix-like system, else null. */
  mode: number | null;
  /** Declared uncompressed size; null when it does not fit 32 bits (a zip64 entry). */
  size: number | null;
}

const EOCD_SIG = 0x06054b50;
const CENTRAL_SIG = 0x02014b50;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;

/** Anything but a plain file or folder (link, device, fifo, socket); a mode type of 0 means unset. */
export function isSpecialMode(mode: number | null): boolean {
  const type = mode === null ? 0 : mode & S_IFMT;
  return type !== 0 && type !== S_IFREG && type !== S_IFDIR;
}

/** The entries listed in the central directory, in order; null if `buf` is not a zip we can read. */
export function listZipEntries(buf: Uint8Array): ZipEntryInfo[] | null {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const eocd = findEndRecord(view);
  if (eocd < 0) return null;
  const count = view.getUint16(eocd + 10, true);
  let at = view.getUint32(eocd + 16, true);
  const out: ZipEntryInfo[] = [];
  for (let i = 0; i < count; i++) {
    if (at + 46 > buf.length || view.getUint32(at, true) !== CENTRAL_SIG) return null;
    const madeBy = view.getUint16(at + 4, true) >> 8;
    const utf8 = (view.getUint16(at + 8, true) & 0x800) !== 0;
    const nameLen = view.getUint16(at + 28, true);
    const skip = view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
    const attrs = view.getUint32(at + 38, true);
    const size = view.getUint32(at + 24, true);
    if (at + 46 + nameLen > buf.length) return null;
    const raw = buf.subarray(at + 46, at + 46 + nameLen);
    // Decoded as fflate decodes it (UTF-8 when flagged, else one character per byte).
    const name = utf8 ? new TextDecoder().decode(raw) : String.fromCharCode(...raw);
    out.push({ name, mode: madeBy === 3 || madeBy === 19 ? attrs >>> 16 : null, size: size === 0xffffffff ? null : size });
    at += 46 + nameLen + skip;
  }
  return out;
}

function findEndRecord(view: DataView): number {
  const last = view.byteLength - 22;
  for (let at = last; at >= 0 && at >= last - 0xffff; at--) {
    if (view.getUint32(at, true) === EOCD_SIG) return at;
  }
  return -1;
}
