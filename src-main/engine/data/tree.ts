/**
 * The image-folder layout shared by zips and directories: `train/<class>/*.jpg` and
 * `test/<class>/*.jpg`, optionally under one top-level folder. Works on a flat list of entry
 * paths, so the same validation serves both sources.
 */
import { DataError, SPLITS, type SplitName } from './types';

export interface TreeEntry {
  /** Posix path relative to the dataset root given by the user; directories end with `/`. */
  path: string;
  size: number;
}

export interface TreeIndex {
  /** Prefix of every dataset path (`''` or `folder/`). */
  root: string;
  /** Sorted class names; index = label. */
  classes: string[];
  /** files[split][label] = entry paths sorted by file name. */
  files: Record<SplitName, string[][]>;
}

const JPEG = /\.jpe?g$/i;
const OTHER_IMAGE = /\.(png|bmp|gif|webp|tiff?)$/i;
const EXPECTED = 'expected train/<class>/*.jpg and test/<class>/*.jpg';

function ignored(segments: string[]): boolean {
  return segments.some((s) => s.startsWith('.') || s === '__MACOSX');
}

/** Finds the prefix under which `train/` and `test/` live. */
function findRoot(paths: string[][], where: string): string {
  const top = new Set(paths.map((s) => s[0]));
  if (top.has('train') || top.has('test')) return '';
  const roots = new Set<string>();
  for (const s of paths) if (s.length > 1 && (s[1] === 'train' || s[1] === 'test')) roots.add(s[0]);
  if (roots.size === 1) return `${[...roots][0]}/`;
  if (roots.size > 1) {
    throw new DataError(
      `several dataset folders in ${where}: ${[...roots].sort().join(', ')} — keep only one train/ + test/ tree`,
    );
  }
  const names = [...top].sort();
  const found = names.slice(0, 6).join(', ') + (names.length > 6 ? ', ...' : '') || 'nothing';
  const zip = names.find((n) => n.toLowerCase().endsWith('.zip'));
  const hint = zip ? `, or give the zip inside it (${zip})` : ' (or a cifar-10-batches-bin directory)';
  throw new DataError(`not a CIFAR-10 image tree: ${where} holds ${found} — ${EXPECTED}${hint}`);
}

type ClassMap = Map<string, string[]>;

function collect(entries: TreeEntry[], where: string): { root: string; splits: Record<SplitName, ClassMap> } {
  const parsed = entries
    .map((e) => ({ path: e.path, segs: e.path.split('/').filter((s) => s.length > 0), dir: e.path.endsWith('/') }))
    .filter((e) => e.segs.length > 0 && !ignored(e.segs));
  const root = findRoot(
    parsed.map((e) => e.segs),
    where,
  );
  const depth = root ? 1 : 0;
  const splits: Record<SplitName, ClassMap> = { train: new Map(), test: new Map() };
  const seen = new Set<SplitName>();
  for (const e of parsed) {
    if (depth && e.segs[0] !== root.slice(0, -1)) continue;
    const [split, cls, file, ...rest] = e.segs.slice(depth);
    if (split !== 'train' && split !== 'test') continue;
    seen.add(split);
    if (cls === undefined || rest.length > 0 || (file === undefined && !e.dir)) continue;
    const list = splits[split].get(cls) ?? [];
    splits[split].set(cls, list);
    if (file === undefined) continue;
    if (JPEG.test(file)) list.push(e.path);
    else if (OTHER_IMAGE.test(file)) {
      throw new DataError(
        `unsupported image format: ${e.path} in ${where} — only JPEG (.jpg) images are read; convert it`,
      );
    }
  }
  for (const s of SPLITS) {
    if (!seen.has(s)) throw new DataError(`missing ${s}/ in ${where} — ${EXPECTED}`);
    if (splits[s].size === 0) throw new DataError(`no class folders in ${root}${s}/ of ${where} — ${EXPECTED}`);
  }
  return { root, splits };
}

function sameClasses(splits: Record<SplitName, ClassMap>, where: string): string[] {
  const train = [...splits.train.keys()].sort();
  const test = [...splits.test.keys()].sort();
  const onlyTrain = train.filter((c) => !splits.test.has(c));
  const onlyTest = test.filter((c) => !splits.train.has(c));
  if (onlyTrain.length || onlyTest.length) {
    const parts = [];
    if (onlyTrain.length) parts.push(`only in train: ${onlyTrain.join(', ')}`);
    if (onlyTest.length) parts.push(`only in test: ${onlyTest.join(', ')}`);
    throw new DataError(
      `train and test classes differ in ${where} (${parts.join('; ')}) — give both splits the same class folders`,
    );
  }
  if (train.length > 256) throw new DataError(`${train.length} classes in ${where} — at most 256 are supported`);
  return train;
}

const byFileName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Validates an image tree and returns its classes and per-class file lists. */
export function indexTree(entries: TreeEntry[], where: string): TreeIndex {
  const { root, splits } = collect(entries, where);
  const classes = sameClasses(splits, where);
  const files = { train: [] as string[][], test: [] as string[][] };
  for (const s of SPLITS) {
    for (const c of classes) {
      const list = splits[s].get(c)!;
      if (list.length === 0) {
        throw new DataError(
          `class folder ${root}${s}/${c}/ in ${where} is empty — every class needs at least one .jpg image`,
        );
      }
      files[s].push(list.sort(byFileName));
    }
  }
  return { root, classes, files };
}

/** Keeps the first `limit` files of each class. */
export function sliceTree(perClass: string[][], limit: number): string[][] {
  return perClass.map((list) => list.slice(0, Math.min(list.length, limit)));
}
