/**
 * Export and import of one run as a `.dwrun` file: a zip holding `run.json` (the RunRecord, with
 * artefact paths relative to the run folder) and `files/<path>` for every file in the run folder.
 * Import checks every entry before writing anything, and writes only inside `runs/<new id>/`.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { strFromU8, strToU8, unzipSync, zipSync, type Zippable } from 'fflate';
import { ARCHIVE_EXTENSION, issueField, type RunOrigin, type RunRecord } from '../contract';
import { FileRefusedError, formatBytes, readRegularFile, readRegularFileSync } from '../engine';
import { checkClaims } from './claims';
import { StoreError } from './errors';
import { listFiles, writeDirAtomic } from './files';
import { encodeJson } from './json';
import { toStoredPath } from './rows';
import type { RunRepository } from './runs';
import { writeUserFile } from './safe-write';
import { checkName, checkTags, isSafeRunId, newRunId } from './validate';
import { RunRecordSchema } from './schema';
import { isSpecialMode, listZipEntries, type ZipEntryInfo } from './zip';

export { ARCHIVE_EXTENSION };
const RECORD = 'run.json';
const MANIFEST = 'manifest.json';
const FILES = 'files/';
const IMPORTED_RUNNING_REASON = 'it was exported while still running; resume it to continue from its last checkpoint';
const MIB = 1024 ** 2;

/**
 * What an archive may hold, checked on the central directory before anything is inflated (fflate
 * inflates each entry into a buffer of its declared size and never past it, so these bound the
 * memory an import takes): the archive itself, each entry by kind, all entries together, and how many.
 */
export const ARCHIVE_LIMITS = {
  archiveBytes: 2048 * MIB,
  jsonBytes: 64 * MIB,
  binBytes: 1024 * MIB,
  totalBytes: 2048 * MIB,
  entries: 64,
};

/** The files a run folder holds: final.json, model/ and checkpoint/ files, all .json or .bin. */
const EXPECTED_FILE = /^(?:(?:model|checkpoint)\/)?[A-Za-z0-9][A-Za-z0-9._-]{0,127}\.(?:json|bin)$/;

/** The archive's manifest: sha256 of every file, and who exported it. */
interface Manifest {
  format: 1;
  appVersion: string;
  host: string | null;
  sha256: Record<string, string>;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

export interface ExportOptions {
  overwrite?: boolean;
}

/** The file an export writes for `dest`: `.dwrun` appended when missing. */
export function archiveFileName(dest: string): string {
  return dest.toLowerCase().endsWith(ARCHIVE_EXTENSION) ? dest : dest + ARCHIVE_EXTENSION;
}

/** Writes the run as a `.dwrun` at `dest` (suffix added), under writeUserFile's rules; answers the path. */
export async function exportRun(repo: RunRepository, id: string, dest: string, opts: ExportOptions = {}): Promise<string> {
  const file = path.resolve(archiveFileName(dest));
  const record = repo.getRun(id);
  const dir = repo.runDir(id);
  const portable: RunRecord = {
    ...record,
    checkpointPath: toStoredPath(dir, record.checkpointPath),
    weightsPath: toStoredPath(dir, record.weightsPath),
  };
  const manifest: Manifest = { format: 1, appVersion: record.appVersion, host: os.hostname(), sha256: {} };
  const entries: Zippable = { [RECORD]: [strToU8(encodeJson(portable, 2)), { level: 6 }] };
  for (const rel of listFiles(dir)) {
    const bytes = readRegularFileSync(path.join(dir, rel), { maxBytes: ARCHIVE_LIMITS.binBytes, what: 'run file' });
    manifest.sha256[FILES + rel] = sha256(bytes);
    // Weights are float32 noise to a compressor: store them quickly rather than squeeze them.
    entries[FILES + rel] = [new Uint8Array(bytes), { level: 1 }];
  }
  entries[MANIFEST] = [strToU8(JSON.stringify(manifest, null, 2)), { level: 6 }];
  await writeUserFile(file, zipSync(entries), { overwrite: opts.overwrite, forbidden: [path.join(repo.dataDir, 'runs')] });
  return file;
}

/** Imports a `.dwrun`; keeps the archived id unless it is taken (or unusable), then picks a new one. */
export async function importRun(repo: RunRepository, file: string): Promise<RunRecord> {
  const buf = await readArchive(file);
  const names = checkEntries(listZipEntries(buf) ?? notAnArchive(file));
  const contents = unzip(buf, file);
  const archived = parseRecord(contents[RECORD], file);
  const manifest = checkManifest(contents, names, file);
  const keepId = isSafeRunId(archived.id) && !repo.exists(archived.id) && !fs.existsSync(repo.runDir(archived.id));
  const id = keepId ? archived.id : newRunId();
  const dir = repo.runDir(id);
  const modelRel = archived.weightsPath && !path.isAbsolute(archived.weightsPath) ? `${archived.weightsPath}/model.json` : null;
  const origin: RunOrigin = {
    file: path.basename(file),
    importedAt: new Date().toISOString(),
    appVersion: archived.appVersion,
    host: manifest?.host ?? null,
    checks: checkClaims(archived, modelRel ? contents[FILES + modelRel] : undefined),
  };
  origin.checks.notes.unshift(
    manifest ? `checksums of ${names.length} files match` : 'no checksums (exported by an older workbench)',
  );
  if (!manifest) origin.checks.passed = false;
  const record = { ...localise(archived, id, dir), origin };
  await writeDirAtomic(dir, async (tmp) => writeEntries(tmp, names, contents));
  try {
    repo.insertRecord(record);
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return repo.getRun(id);
}

async function readArchive(file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readRegularFile(file, { maxBytes: ARCHIVE_LIMITS.archiveBytes, what: `${ARCHIVE_EXTENSION} file` }));
  } catch (e) {
    if (e instanceof FileRefusedError) throw new StoreError(e.code, e.message, { cause: e });
    throw e;
  }
}

function damaged(file: string, why: string): StoreError {
  return new StoreError('bad-input', `${file} is damaged or altered (${why}); nothing was imported, export the run again`);
}

/** The manifest, checked against every file (a file missing from it, or a wrong checksum, is refused); null if absent. */
function checkManifest(contents: Record<string, Uint8Array>, names: string[], file: string): Manifest | null {
  const raw = contents[MANIFEST];
  if (!raw) return null;
  let m: Manifest;
  try {
    m = JSON.parse(strFromU8(raw)) as Manifest;
  } catch {
    throw damaged(file, `${MANIFEST} is not valid JSON`);
  }
  if (m?.format !== 1 || typeof m.sha256 !== 'object' || m.sha256 === null) throw damaged(file, `${MANIFEST} has no checksums`);
  const listed = Object.keys(m.sha256);
  if (listed.length !== names.length) throw damaged(file, `${MANIFEST} lists ${listed.length} files but the archive holds ${names.length}`);
  for (const rel of names) {
    const want = m.sha256[FILES + rel];
    if (typeof want !== 'string') throw damaged(file, `${FILES + rel} is not in ${MANIFEST}`);
    if (sha256(contents[FILES + rel]) !== want) throw damaged(file, `checksum of ${FILES + rel} does not match`);
  }
  return { ...m, host: typeof m.host === 'string' ? m.host : null };
}

function notAnArchive(file: string): never {
  throw new StoreError(
    'bad-input',
    `${file} is not a ${ARCHIVE_EXTENSION} archive (not a readable zip); export the run again from the workbench`,
  );
}

function unsafe(entry: string): StoreError {
  return new StoreError(
    'bad-input',
    `unsafe path in archive: ${entry}; nothing was imported, the file was not made by a workbench export`,
  );
}

/** A relative POSIX path of plain segments: no `..`, `.`, empty, absolute, drive or odd characters. */
export function isSafeEntryPath(name: string): boolean {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this rejects
  if (name.length === 0 || name.length > 1024 || name.startsWith('/') || /[\\:\0-\x1f]/.test(name)) return false;
  return name.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}

/** Checks every entry; returns the names of the files to write (without their `files/` prefix). */
function checkEntries(entries: ZipEntryInfo[]): string[] {
  const files = new Set<string>();
  for (const { name, mode } of entries) {
    const isDir = name.endsWith('/');
    const bare = isDir ? name.slice(0, -1) : name;
    if (!isSafeEntryPath(bare) || isSpecialMode(mode)) throw unsafe(name);
    if (bare !== RECORD && bare !== MANIFEST && !bare.startsWith(FILES)) throw unsafe(name);
    if (isDir) continue;
    if (files.has(bare)) throw unsafe(`${name} (appears twice)`);
    files.add(bare);
  }
  for (const name of files) {
    const parts = name.split('/');
    for (let i = 1; i < parts.length; i++) {
      if (files.has(parts.slice(0, i).join('/')))
        throw unsafe(`${name} (inside the file ${parts.slice(0, i).join('/')})`);
    }
  }
  if (!files.has(RECORD)) {
    throw new StoreError(
      'bad-input',
      `the archive has no ${RECORD}; it was not made by a workbench export, export the run again`,
    );
  }
  checkExpected(entries, files);
  return [...files].filter((n) => n.startsWith(FILES)).map((n) => n.slice(FILES.length));
}

function unexpected(name: string): StoreError {
  return new StoreError(
    'bad-input',
    `unexpected entry in archive: ${name}; a workbench export holds only ${RECORD}, ${MANIFEST} and a run's .json and .bin files, nothing was imported`,
  );
}

/** Only the entries an export writes, each within its cap, all of them within the total. */
function checkExpected(entries: ZipEntryInfo[], files: Set<string>): void {
  if (entries.length > ARCHIVE_LIMITS.entries)
    throw unexpected(`${entries.length} entries (at most ${ARCHIVE_LIMITS.entries})`);
  let total = 0;
  for (const { name, size } of entries) {
    if (!files.has(name)) continue;
    const isFile = name.startsWith(FILES) && EXPECTED_FILE.test(name.slice(FILES.length));
    if (name !== RECORD && name !== MANIFEST && !isFile) throw unexpected(name);
    const cap = name.endsWith('.bin') ? ARCHIVE_LIMITS.binBytes : ARCHIVE_LIMITS.jsonBytes;
    if (size === null || size > cap) {
      const said = size === null ? 'a size over 4 GiB' : formatBytes(size);
      throw unexpected(`${name} declares ${said}, more than the ${formatBytes(cap)} such a file may be`);
    }
    total += size;
    if (total > ARCHIVE_LIMITS.totalBytes)
      throw unexpected(`files declaring more than ${formatBytes(ARCHIVE_LIMITS.totalBytes)} in all`);
  }
}

function unzip(buf: Uint8Array, file: string): Record<string, Uint8Array> {
  try {
    return unzipSync(buf);
  } catch (e) {
    throw new StoreError(
      'bad-input',
      `${file} is damaged (${e instanceof Error ? e.message : String(e)}); export the run again`,
      { cause: e },
    );
  }
}

function parseRecord(data: Uint8Array | undefined, file: string): RunRecord {
  let json: unknown;
  try {
    json = JSON.parse(strFromU8(data ?? new Uint8Array()));
  } catch {
    throw new StoreError('bad-input', `${RECORD} in ${file} is not valid JSON; export the run again`);
  }
  const parsed = RunRecordSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new StoreError(
      'bad-input',
      `${RECORD} in ${file} is invalid at ${issueField(issue) || '(root)'}: ${issue.message}; export the run again`,
    );
  }
  try {
    checkName(parsed.data.name);
    checkTags(parsed.data.tags);
  } catch (e) {
    throw new StoreError('bad-input', `${RECORD} in ${file}: ${(e as Error).message}`);
  }
  return parsed.data;
}

/** The record as this store will hold it: new id, paths inside the new folder, no live status. */
function localise(r: RunRecord, id: string, dir: string): RunRecord {
  const live = r.status === 'running' || r.status === 'queued';
  return {
    ...r,
    id,
    status: live ? 'interrupted' : r.status,
    statusReason: live ? IMPORTED_RUNNING_REASON : r.statusReason,
    checkpointPath: artefactPath(r.checkpointPath, dir),
    weightsPath: artefactPath(r.weightsPath, dir),
  };
}

/** A relative path must stay in the run folder; an absolute one pointed at another machine: dropped. */
function artefactPath(p: string | null, dir: string): string | null {
  if (p === null || path.isAbsolute(p) || /^[A-Za-z]:/.test(p)) return null;
  if (!isSafeEntryPath(p)) throw unsafe(`${RECORD} path ${p}`);
  return path.join(dir, ...p.split('/'));
}

async function writeEntries(tmp: string, names: string[], contents: Record<string, Uint8Array>): Promise<void> {
  for (const rel of names) {
    const target = path.join(tmp, ...rel.split('/'));
    const back = path.relative(tmp, target);
    if (back.startsWith('..') || path.isAbsolute(back)) throw unsafe(FILES + rel);
    const data = Object.hasOwn(contents, FILES + rel) ? contents[FILES + rel] : undefined;
    if (!data) throw unsafe(FILES + rel);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    // 'wx': never follow or overwrite anything already there.
    fs.writeFileSync(target, data, { flag: 'wx' });
  }
}
