/**
 * Export and import of one run as a `.dwrun` file: a zip holding `run.json` (the RunRecord, with
 * artefact paths relative to the run folder) and `files/<path>` for every file in the run folder.
 * Import checks every entry before writing anything, and writes only inside `runs/<new id>/`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { strFromU8, strToU8, unzipSync, zipSync, type Zippable } from 'fflate';
import { ARCHIVE_EXTENSION, issueField, type RunRecord } from '../contract';
import { errnoCode, StoreError } from './errors';
import { listFiles, writeDirAtomic, writeFileAtomic } from './files';
import { encodeJson } from './json';
import { toStoredPath } from './rows';
import type { RunRepository } from './runs';
import { isSafeRunId, newRunId } from './validate';
import { RunRecordSchema } from './schema';
import { isSpecialMode, listZipEntries, type ZipEntryInfo } from './zip';

export { ARCHIVE_EXTENSION };
const RECORD = 'run.json';
const FILES = 'files/';
const IMPORTED_RUNNING_REASON = 'it was exported while still running; resume it to continue from its last checkpoint';

export async function exportRun(repo: RunRepository, id: string, destFile: string): Promise<void> {
  const record = repo.getRun(id);
  const dir = repo.runDir(id);
  const portable: RunRecord = {
    ...record,
    checkpointPath: toStoredPath(dir, record.checkpointPath),
    weightsPath: toStoredPath(dir, record.weightsPath),
  };
  const entries: Zippable = { [RECORD]: [strToU8(encodeJson(portable, 2)), { level: 6 }] };
  for (const rel of listFiles(dir)) {
    // Weights are float32 noise to a compressor: store them quickly rather than squeeze them.
    entries[FILES + rel] = [new Uint8Array(fs.readFileSync(path.join(dir, rel))), { level: 1 }];
  }
  await writeFileAtomic(destFile, zipSync(entries));
}

/** Imports a `.dwrun`; keeps the archived id unless it is taken (or unusable), then picks a new one. */
export async function importRun(repo: RunRepository, file: string): Promise<RunRecord> {
  const buf = readArchive(file);
  const names = checkEntries(listZipEntries(buf) ?? notAnArchive(file));
  const contents = unzip(buf, file);
  const archived = parseRecord(contents[RECORD], file);
  const keepId = isSafeRunId(archived.id) && !repo.exists(archived.id) && !fs.existsSync(repo.runDir(archived.id));
  const id = keepId ? archived.id : newRunId();
  const dir = repo.runDir(id);
  const record = localise(archived, id, dir);
  await writeDirAtomic(dir, async (tmp) => writeEntries(tmp, names, contents));
  try {
    repo.insertRecord(record);
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return repo.getRun(id);
}

function readArchive(file: string): Uint8Array {
  try {
    return new Uint8Array(fs.readFileSync(file));
  } catch (e) {
    if (errnoCode(e) === 'ENOENT')
      throw new StoreError('not-found', `no file at ${file}; check the path of the ${ARCHIVE_EXTENSION} file`);
    throw new StoreError('internal', `cannot read ${file} (${errnoCode(e) ?? String(e)}); check its permissions`, {
      cause: e,
    });
  }
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
    if (bare !== RECORD && !bare.startsWith(FILES)) throw unsafe(name);
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
  return [...files].filter((n) => n.startsWith(FILES)).map((n) => n.slice(FILES.length));
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
