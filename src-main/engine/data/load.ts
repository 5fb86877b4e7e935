/** loadCifar10: any of the three layouts, sliced per class, through the decoded cache. */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { binaryStamp, loadBinary } from './binary';
import { cacheKey, readCache, writeCache } from './cache';
import { decodeTree } from './decode';
import { detectLayout, type Detected } from './detect';
import { listFolder, readFolderFile } from './folder';
import { indexTree, sliceTree, type TreeIndex } from './tree';
import { perClassLimit, type Cifar, type LoadOptions, type SplitName } from './types';
import { extractZip, listZip, readZipFile } from './zip';

type Data = Omit<Cifar, 'source'>;
type Limits = Record<SplitName, number>;

function selectFiles(index: TreeIndex, limits: Limits): Record<SplitName, string[][]> {
  return { train: sliceTree(index.files.train, limits.train), test: sliceTree(index.files.test, limits.test) };
}

async function loadZip(file: string, limits: Limits, opts: LoadOptions): Promise<Data> {
  const buf = await readZipFile(file);
  const checksum = createHash('sha256').update(buf).digest('hex');
  const index = indexTree(listZip(buf, file), file);
  const files = selectFiles(index, limits);
  const entries = extractZip(buf, file, new Set([...files.train.flat(), ...files.test.flat()]));
  const split = await decodeTree({ files, read: (p) => entries[p], where: file, onProgress: opts.onProgress });
  return { ...split, classes: index.classes, layout: 'zip', checksum };
}

async function loadFolder(dir: string, limits: Limits, opts: LoadOptions, listing = listFolder(dir)): Promise<Data> {
  const index = indexTree(listing.entries, dir);
  const files = selectFiles(index, limits);
  const split = await decodeTree({
    files,
    read: (p) => readFolderFile(dir, p),
    where: dir,
    onProgress: opts.onProgress,
  });
  return { ...split, classes: index.classes, layout: 'folder', checksum: listing.checksum };
}

function loadBin(dir: string, limits: Limits, opts: LoadOptions): Data {
  const data = loadBinary(dir, limits);
  const n = data.train.count + data.test.count;
  opts.onProgress?.(n, n);
  return { ...data, layout: 'binary' };
}

/** What identifies the source's current contents: size and mtime of every file it reads. */
function stampOf(found: Detected): { stamp: string; listing?: ReturnType<typeof listFolder> } {
  if (found.layout === 'zip') {
    const st = statSync(found.path);
    return { stamp: `${st.size}:${st.mtimeMs}` };
  }
  if (found.layout === 'binary') return { stamp: binaryStamp(found.path) };
  const listing = listFolder(found.path);
  return { stamp: listing.stamp, listing };
}

/**
 * Loads CIFAR-10 (or any same-shaped set of 32x32 RGB classes) from an image-folder zip, an
 * image-folder directory or a cifar-10-batches-bin directory. Images come out as HWC RGB bytes;
 * image trees give class-major order with files sorted by name, the binary layout file order.
 * With `cacheDir`, decoded arrays are cached there keyed by source path, size, mtime and slice.
 */
export async function loadCifar10(path: string, opts: LoadOptions = {}): Promise<Cifar> {
  const found = detectLayout(path);
  const limits: Limits = { train: perClassLimit(opts.trainPerClass), test: perClassLimit(opts.testPerClass) };
  const { stamp, listing } = stampOf(found);
  const key = cacheKey({
    layout: found.layout,
    path: found.path,
    stamp,
    train: Number.isFinite(limits.train) ? limits.train : 0,
    test: Number.isFinite(limits.test) ? limits.test : 0,
  });
  if (opts.cacheDir) {
    const cached = readCache(opts.cacheDir, key);
    if (cached) {
      const n = cached.train.count + cached.test.count;
      opts.onProgress?.(n, n);
      return { ...cached, source: 'cache' };
    }
  }
  let data: Data;
  if (found.layout === 'zip') data = await loadZip(found.path, limits, opts);
  else if (found.layout === 'folder') data = await loadFolder(found.path, limits, opts, listing);
  else data = loadBin(found.path, limits, opts);
  if (opts.cacheDir) writeCache(opts.cacheDir, key, data);
  return { ...data, source: 'decoded' };
}
