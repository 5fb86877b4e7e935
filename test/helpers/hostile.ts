/**
 * Hostile inputs for the round-two batteries: archives with a doctored entry, zips whose central
 * directory lies about an entry's size, FIFOs, and a one-call request through the contract.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import type { ApiError, HostMethod } from '../../src-main/contract';
import type { Host } from '../../src-main/host/host';
import { dispatch } from '../../src-main/transports/dispatch';

const CENTRAL_SIG = 0x02014b50;

/** `zip` with the declared uncompressed size of `entry` set to `size` (central directory and local header). */
export function lieAboutSize(zip: Uint8Array, entry: string, size: number): Uint8Array {
  const out = new Uint8Array(zip);
  const view = new DataView(out.buffer);
  for (let at = 0; at + 46 < out.length; at++) {
    if (view.getUint32(at, true) !== CENTRAL_SIG) continue;
    const nameLen = view.getUint16(at + 28, true);
    if (strFromU8(out.subarray(at + 46, at + 46 + nameLen)) !== entry) continue;
    view.setUint32(at + 24, size, true);
    view.setUint32(view.getUint32(at + 42, true) + 22, size, true);
    return out;
  }
  throw new Error(`no entry ${entry} in the zip`);
}

/** A copy of an archive's entries with `change` applied (run.json as an object), zipped again. */
export function doctor(
  archive: Uint8Array,
  change: (entries: Record<string, Uint8Array>, record: Record<string, unknown>) => void,
): Uint8Array {
  const entries = unzipSync(archive);
  const record = JSON.parse(strFromU8(entries['run.json'])) as Record<string, unknown>;
  change(entries, record);
  entries['run.json'] = strToU8(JSON.stringify(record));
  return zipSync(entries, { level: 0 });
}

export function mkfifo(file: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  if (spawnSync('mkfifo', [file]).status !== 0) throw new Error(`mkfifo ${file} failed`);
  return file;
}

/** One request through dispatch, as every transport makes it; the ApiError, or null when it succeeded. */
export async function refusalOf(host: Host, method: HostMethod, ...args: unknown[]): Promise<ApiError | null> {
  const r = await dispatch(host, { id: 1, method, args });
  return r.ok ? null : r.error;
}
