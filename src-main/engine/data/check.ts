/** checkDataset: a cheap look at a dataset path for UI forms (layout, counts, one image per class). */
import type { DatasetCheck } from '../../contract';
import { binaryClasses, binaryCounts, binaryFiles, binaryLabelCounts, checkCoverage } from './binary';
import { decodeJpeg } from './decode';
import { detectLayout, type Detected } from './detect';
import { listFolder, readFolderFile } from './folder';
import { indexTree, type TreeIndex } from './tree';
import { SPLITS, errorText } from './types';
import { extractZip, listZip, readZipFile } from './zip';

type Counts = Pick<DatasetCheck, 'train' | 'test' | 'classes'>;

function treeCounts(index: TreeIndex, read: (path: string) => Uint8Array, where: string): Counts {
  for (const s of SPLITS) for (const list of index.files[s]) decodeJpeg(read(list[0]), list[0], where);
  const n = (lists: string[][]): number => lists.reduce((t, l) => t + l.length, 0);
  return { train: n(index.files.train), test: n(index.files.test), classes: index.classes };
}

async function countsOf(found: Detected): Promise<Counts> {
  if (found.layout === 'binary') {
    const classes = binaryClasses(found.path);
    const files = binaryFiles(found.path);
    for (const s of SPLITS) checkCoverage(binaryLabelCounts(files[s], classes.length), classes, s, found.path);
    return { ...binaryCounts(found.path), classes };
  }
  if (found.layout === 'folder') {
    const index = indexTree(listFolder(found.path).entries, found.path);
    return treeCounts(index, (p) => readFolderFile(found.path, p), found.path);
  }
  const buf = await readZipFile(found.path);
  const index = indexTree(listZip(buf, found.path), found.path);
  const firsts = new Set(SPLITS.flatMap((s) => index.files[s].map((l) => l[0])));
  const entries = extractZip(buf, found.path, firsts);
  return treeCounts(index, (p) => entries[p], found.path);
}

const LAYOUT_NAMES = { zip: 'image-folder zip', folder: 'image folder', binary: 'cifar-10-batches-bin' };

/** Validates a dataset path without decoding it all; never throws (ok=false carries the message). */
export async function checkDataset(path: string): Promise<DatasetCheck> {
  let layout: Detected['layout'] | null = null;
  try {
    const found = detectLayout(path);
    layout = found.layout;
    const c = await countsOf(found);
    const message = `${LAYOUT_NAMES[found.layout]}: ${c.train} train and ${c.test} test images in ${c.classes.length} classes`;
    return { ok: true, path, layout, ...c, message };
  } catch (e) {
    return { ok: false, path, layout, train: 0, test: 0, classes: [], message: errorText(e) };
  }
}
