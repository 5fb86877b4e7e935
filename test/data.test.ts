import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CIFAR10_MEAN,
  CIFAR10_STD,
  DataError,
  augmentBatch,
  augmentDraws,
  checkDataset,
  cropBatch,
  flipBatch,
  loadCifar10,
  normalise,
  toTensors,
  type Cifar,
  type Split,
} from '../src-main/engine/data';
import { findDefaultDataset } from '../src-main/host/default-dataset';
import {
  encodeJpeg,
  makeTinyCifarArrays,
  makeTinyCifarBinary,
  makeTinyCifarFolder,
  makeTinyCifarZip,
  writeBinaryBatches,
} from './helpers/tiny-cifar';

const SMALL_ZIP = fileURLToPath(new URL('../../shared/data/cifar10-jpeg-small.zip', import.meta.url));
const tiny = { perClassTrain: 6, perClassTest: 3, classes: ['cat', 'ant', 'dog'] };

let dir: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = mkdtempSync(join(tmpdir(), 'dwswap-data-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sub = (name: string): string => {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  return d;
};

function perLabel(split: Split, classes: number): number[] {
  const n = new Array<number>(classes).fill(0);
  for (const l of split.labels) n[l]++;
  return n;
}

function image(split: Split, i: number): Uint8Array {
  return split.images.subarray(i * 3072, (i + 1) * 3072);
}

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}

function jpegOf(w: number, h: number): Uint8Array {
  return encodeJpeg(new Uint8Array(w * h * 3).fill(128), w, h);
}

/** A zip with one valid image per class in train and test plus the given extra entries. */
function zipWith(name: string, extra: Record<string, Uint8Array>, base = true): string {
  const files: Record<string, Uint8Array> = base
    ? {
        'train/a/0.jpg': jpegOf(32, 32),
        'train/b/0.jpg': jpegOf(32, 32),
        'test/a/0.jpg': jpegOf(32, 32),
        'test/b/0.jpg': jpegOf(32, 32),
      }
    : {};
  const path = join(sub('errors'), name);
  writeFileSync(path, zipSync({ ...files, ...extra }, { level: 0 }));
  return path;
}

async function loadError(path: string, opts = {}): Promise<DataError> {
  const e = await loadCifar10(path, opts).then(
    () => null,
    (err: unknown) => err,
  );
  expect(e, `loading ${path} should fail with a DataError`).toBeInstanceOf(DataError);
  return e as DataError;
}

describe('image-folder zip and folder layouts', () => {
  it('loads a tiny zip with sorted class names as labels, class-major, counts per class', async () => {
    const zip = makeTinyCifarZip(sub('zip'), tiny);
    const d = await loadCifar10(zip);
    expect(d.layout, 'layout is reported').toBe('zip');
    expect(d.classes, 'classes are sorted alphabetically = label order').toEqual(['ant', 'cat', 'dog']);
    expect([d.train.count, d.test.count], 'counts are perClass * classes').toEqual([18, 9]);
    expect(d.train.images.length, 'images are N*32*32*3 bytes').toBe(18 * 3072);
    expect(perLabel(d.train, 3), 'each label has perClassTrain images').toEqual([6, 6, 6]);
    expect([...d.test.labels], 'labels are class-major').toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2]);
    expect(d.checksum, 'checksum of a zip is the sha256 of the file').toBe(
      createHash('sha256').update(readFileSync(zip)).digest('hex'),
    );
    const ref = makeTinyCifarArrays(tiny);
    for (let i = 0; i < d.train.count; i++) {
      expect(
        meanAbsDiff(image(d.train, i), image(ref.train, i)),
        `train image ${i} decodes close to its source`,
      ).toBeLessThan(8);
    }
  });

  it('finds train/ and test/ under one top-level folder of a zip', async () => {
    const zip = makeTinyCifarZip(sub('zip-top'), { ...tiny, topFolder: 'cifar' });
    const d = await loadCifar10(zip);
    expect([d.train.count, d.test.count, d.classes.length], 'same counts as without the folder').toEqual([18, 9, 3]);
  });

  it('loads the same tree from a directory with identical pixels and a listing checksum', async () => {
    const folder = makeTinyCifarFolder(sub('folder'), { ...tiny, topFolder: 'cifar' });
    const zip = makeTinyCifarZip(sub('folder-zip'), tiny);
    const [f, z] = [await loadCifar10(folder), await loadCifar10(zip)];
    expect(f.layout, 'layout is folder').toBe('folder');
    expect(f.classes, 'same classes as the zip').toEqual(z.classes);
    expect(Buffer.compare(f.train.images, z.train.images), 'same JPEG bytes decode to the same pixels').toBe(0);
    expect(f.test.labels, 'same labels as the zip').toEqual(z.test.labels);
    expect(f.checksum, 'folder checksum is a sha256').toMatch(/^[0-9a-f]{64}$/);
    expect((await loadCifar10(folder)).checksum, 'folder checksum is stable').toBe(f.checksum);
  });

  it('slices the first N files of each class by file name', async () => {
    const zip = makeTinyCifarZip(sub('slice'), tiny);
    const all = await loadCifar10(zip);
    const d = await loadCifar10(zip, { trainPerClass: 2, testPerClass: 1 });
    expect([d.train.count, d.test.count], 'counts are N * classes').toEqual([6, 3]);
    expect(perLabel(d.train, 3), '2 per label').toEqual([2, 2, 2]);
    expect(Buffer.compare(image(d.train, 2), image(all.train, 6)), 'class 1 starts with its first file').toBe(0);
    expect(Buffer.compare(image(d.train, 3), image(all.train, 7)), 'then its second file').toBe(0);
  });

  it('tiny classes are separable: nearest class-mean colour labels every decoded test image', async () => {
    const d = await loadCifar10(makeTinyCifarZip(sub('separable'), { perClassTrain: 20, perClassTest: 10 }));
    const meanColour = (split: Split, i: number): number[] => {
      const m = [0, 0, 0];
      image(split, i).forEach((v, j) => (m[j % 3] += v / 1024));
      return m;
    };
    const centroids = d.classes.map(() => [0, 0, 0]);
    for (let i = 0; i < d.train.count; i++) {
      meanColour(d.train, i).forEach((v, c) => (centroids[d.train.labels[i]][c] += v / 20));
    }
    let correct = 0;
    for (let i = 0; i < d.test.count; i++) {
      const m = meanColour(d.test, i);
      const dist = centroids.map((ct) => ct.reduce((t, v, c) => t + (v - m[c]) ** 2, 0));
      if (dist.indexOf(Math.min(...dist)) === d.test.labels[i]) correct++;
    }
    expect(correct, 'all 100 test images nearest to their class centroid').toBe(100);
  });

  it('reports progress ending at total', async () => {
    const zip = makeTinyCifarZip(sub('progress'), tiny);
    const calls: [number, number][] = [];
    await loadCifar10(zip, { onProgress: (done, total) => calls.push([done, total]) });
    expect(calls.at(-1), 'last progress call is done = total = 27').toEqual([27, 27]);
  });
});

describe('cifar-10-batches-bin layout', () => {
  it('converts a CHW record with known pixels to HWC', async () => {
    const rec = new Uint8Array(3073);
    rec[0] = 1;
    for (let p = 0; p < 1024; p++) {
      const [y, x] = [Math.floor(p / 32), p % 32];
      rec[1 + p] = x * 8; // red plane
      rec[1 + 1024 + p] = y * 8; // green plane
      rec[1 + 2048 + p] = (x + y) % 7; // blue plane
    }
    const other = new Uint8Array(3073);
    const bin = writeBinaryBatches(sub('chw'), [rec, other], [other, rec], ['a', 'b']);
    const d = await loadCifar10(bin);
    expect(d.train.labels[0], 'label byte is read').toBe(1);
    for (const [y, x] of [
      [0, 0],
      [0, 31],
      [5, 17],
      [31, 2],
    ]) {
      const o = (y * 32 + x) * 3;
      expect([...d.train.images.subarray(o, o + 3)], `pixel (${y},${x}) is [R,G,B] from the three planes`).toEqual([
        x * 8,
        y * 8,
        (x + y) % 7,
      ]);
    }
  });

  it('loads a tiny binary release exactly, in file order, with meta class names', async () => {
    const bin = makeTinyCifarBinary(sub('bin'), tiny);
    const d = await loadCifar10(bin);
    const ref = makeTinyCifarArrays(tiny);
    expect(d.layout, 'layout is binary').toBe('binary');
    expect(d.classes, 'classes from batches.meta.txt').toEqual(['ant', 'cat', 'dog']);
    expect([d.train.count, d.test.count], 'all records').toEqual([18, 9]);
    expect(perLabel(d.train, 3), 'labels per class').toEqual([6, 6, 6]);
    // Batch 1 holds records 0, 5, 10, 15 of the interleaved order: (j=0,k=0), (j=1,k=2), (j=3,k=1), (j=5,k=0)
    expect([...d.train.labels.subarray(0, 4)], 'file order of data_batch_1').toEqual([0, 2, 1, 0]);
    expect(Buffer.compare(image(d.train, 1), image(ref.train, 2 * 6 + 1)), 'pixels are exact (no JPEG)').toBe(0);
    const hash = createHash('sha256');
    for (const f of [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`).concat('test_batch.bin')) {
      hash.update(readFileSync(join(bin, f)));
    }
    expect(d.checksum, 'checksum is sha256 of the concatenated batches').toBe(hash.digest('hex'));
  });

  it('slices per class in file order and accepts the folder above cifar-10-batches-bin', async () => {
    const parent = sub('bin-parent');
    makeTinyCifarBinary(parent, tiny);
    const d = await loadCifar10(parent, { trainPerClass: 2, testPerClass: 1 });
    expect([d.train.count, d.test.count], 'N * classes records').toEqual([6, 3]);
    expect(perLabel(d.train, 3), '2 per label').toEqual([2, 2, 2]);
  });
});

describe('decoded cache', () => {
  it('serves the second load from cacheDir, keyed by slice and source mtime, written atomically', async () => {
    const zip = makeTinyCifarZip(sub('cache-src'), tiny);
    const cacheDir = join(dir, 'cache');
    const first = await loadCifar10(zip, { cacheDir });
    const second = await loadCifar10(zip, { cacheDir });
    expect([first.source, second.source], 'first decodes, second reads the cache').toEqual(['decoded', 'cache']);
    expect(Buffer.compare(first.train.images, second.train.images), 'cached images are identical').toBe(0);
    expect(second.test.labels, 'cached labels are identical').toEqual(first.test.labels);
    expect([second.classes, second.layout, second.checksum], 'metadata is cached').toEqual([
      first.classes,
      first.layout,
      first.checksum,
    ]);
    expect((await loadCifar10(zip, { cacheDir, trainPerClass: 1 })).source, 'another slice is another key').toBe(
      'decoded',
    );
    utimesSync(zip, new Date(), new Date(Date.now() + 5000));
    expect((await loadCifar10(zip, { cacheDir })).source, 'a touched source invalidates its cache').toBe('decoded');
    const files = readdirSync(cacheDir);
    expect(
      files.every((f) => /^cifar-[0-9a-f]{40}\.bin$/.test(f)),
      `only cache files, no tmp left: ${files}`,
    ).toBe(true);
  });

  it('rebuilds a damaged cache file and caches the binary layout too', async () => {
    const bin = makeTinyCifarBinary(sub('cache-bin'), tiny);
    const cacheDir = join(dir, 'cache-bin-dir');
    await loadCifar10(bin, { cacheDir });
    const [file] = readdirSync(cacheDir);
    writeFileSync(join(cacheDir, file), 'garbage');
    expect((await loadCifar10(bin, { cacheDir })).source, 'damaged file is ignored and rebuilt').toBe('decoded');
    expect((await loadCifar10(bin, { cacheDir })).source, 'then used').toBe('cache');
  });
});

describe('DataError messages', () => {
  it('path missing or empty', async () => {
    expect((await loadError(join(dir, 'nope.zip'))).message).toMatch(/^dataset not found: .*nope\.zip — give the path/);
    expect((await loadError('')).message).toMatch(/dataset path is empty/);
  });

  it('a file or folder that is no layout names what was found and what is expected', async () => {
    const txt = join(sub('misc'), 'notes.txt');
    writeFileSync(txt, 'hello');
    expect((await loadError(txt)).message).toMatch(
      /unrecognised dataset file: .*notes\.txt .* zip, image folder or cifar-10-batches-bin/,
    );
    const fakeZip = join(sub('misc'), 'fake.zip');
    writeFileSync(fakeZip, 'not a zip at all');
    expect((await loadError(fakeZip)).message).toMatch(/fake\.zip is not a valid zip file/);
    const other = sub('other');
    mkdirSync(join(other, 'photos'), { recursive: true });
    writeFileSync(join(other, 'readme.md'), '#');
    expect((await loadError(other)).message).toMatch(
      /not a CIFAR-10 image tree: .* holds photos, readme\.md — expected train\/<class>/,
    );
    const onlyBatch = join(sub('misc'), 'data_batch_1.bin');
    writeFileSync(onlyBatch, new Uint8Array(3073));
    expect((await loadError(onlyBatch)).message).toMatch(/single batch file — give the cifar-10-batches-bin directory/);
  });

  it('a .tar.gz says to extract it', async () => {
    const tgz = join(sub('misc'), 'cifar-10-binary.tar.gz');
    writeFileSync(tgz, new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0]));
    expect((await loadError(tgz)).message).toMatch(/tar archive.*extract it \(tar xzf cifar-10-binary\.tar\.gz\)/);
  });

  it('missing train/ or test/', async () => {
    const zip = zipWith('no-test.zip', { 'train/a/0.jpg': jpegOf(32, 32) }, false);
    expect((await loadError(zip)).message).toMatch(
      /missing test\/ in .*no-test\.zip — expected train\/<class>\/\*\.jpg/,
    );
  });

  it('an empty class folder', async () => {
    const root = makeTinyCifarFolder(sub('empty-class'), tiny);
    mkdirSync(join(root, 'test', 'cat-empty'));
    mkdirSync(join(root, 'train', 'cat-empty'));
    writeFileSync(join(root, 'train', 'cat-empty', '0000.jpg'), jpegOf(32, 32));
    expect((await loadError(root)).message).toMatch(
      /class folder test\/cat-empty\/ in .* is empty — every class needs/,
    );
  });

  it('class sets that differ between train and test', async () => {
    const zip = zipWith('differ.zip', { 'train/c/0.jpg': jpegOf(32, 32), 'test/d/0.jpg': jpegOf(32, 32) });
    expect((await loadError(zip)).message).toMatch(/train and test classes differ .*only in train: c; only in test: d/);
  });

  it('an image that fails to decode, naming the entry', async () => {
    const zip = zipWith('bad-jpeg.zip', { 'train/a/1.jpg': new Uint8Array([1, 2, 3, 4, 5]) });
    expect((await loadError(zip)).message).toMatch(/cannot decode image train\/a\/1\.jpg in .*bad-jpeg\.zip/);
  });

  it('an image that is not 32x32x3, naming the entry and its size', async () => {
    const zip = zipWith('big.zip', { 'test/b/1.jpg': jpegOf(16, 8) });
    expect((await loadError(zip)).message).toMatch(/image test\/b\/1\.jpg in .* is 16x8x3, expected 32x32x3/);
  });

  it('a PNG in a class folder', async () => {
    const zip = zipWith('png.zip', { 'train/a/1.png': new Uint8Array(8) });
    expect((await loadError(zip)).message).toMatch(/unsupported image format: train\/a\/1\.png/);
  });

  it('zip entries with .. or absolute paths are refused', async () => {
    const up = zipWith('up.zip', { '../evil.jpg': jpegOf(32, 32) });
    expect((await loadError(up)).message).toMatch(/^unsafe path in archive .*up\.zip: entry "\.\.\/evil\.jpg"/);
    const abs = zipWith('abs.zip', { '/etc/evil.jpg': jpegOf(32, 32) });
    expect((await loadError(abs)).message).toMatch(/^unsafe path in archive .*abs\.zip/);
    expect(existsSync(join(dir, 'evil.jpg')), 'nothing was written').toBe(false);
  });

  it('an incomplete or damaged binary release', async () => {
    const bin = makeTinyCifarBinary(sub('bin-broken'), tiny);
    writeFileSync(join(bin, 'test_batch.bin'), new Uint8Array(100));
    expect((await loadError(bin)).message).toMatch(
      /test_batch\.bin is 100 bytes, not a whole number of 3073-byte records/,
    );
    rmSync(join(bin, 'data_batch_3.bin'));
    expect((await loadError(bin)).message).toMatch(/incomplete cifar-10-batches-bin: .*data_batch_3\.bin is missing/);
  });

  it('an unwritable cacheDir', async () => {
    const zip = makeTinyCifarZip(sub('cache-bad'), tiny);
    const notDir = join(dir, 'cache-is-a-file');
    writeFileSync(notDir, 'x');
    expect((await loadError(zip, { cacheDir: notDir })).message).toMatch(
      /cannot write the dataset cache in .*cache-is-a-file/,
    );
  });
});

describe('checkDataset and findDefaultDataset', () => {
  it('counts each layout and reports problems as ok=false', async () => {
    const zip = await checkDataset(makeTinyCifarZip(sub('check'), tiny));
    expect(zip, 'zip counts and classes').toMatchObject({
      ok: true,
      layout: 'zip',
      train: 18,
      test: 9,
      classes: ['ant', 'cat', 'dog'],
    });
    const folder = await checkDataset(makeTinyCifarFolder(sub('check'), tiny));
    expect(folder, 'folder counts').toMatchObject({ ok: true, layout: 'folder', train: 18, test: 9 });
    const bin = await checkDataset(makeTinyCifarBinary(sub('check'), tiny));
    expect(bin, 'binary counts from file sizes').toMatchObject({ ok: true, layout: 'binary', train: 18, test: 9 });
    const missing = await checkDataset(join(dir, 'missing'));
    expect(missing, 'missing path is ok=false with the message').toMatchObject({ ok: false, layout: null });
    expect(missing.message).toMatch(/dataset not found/);
    const big = await checkDataset(zipWith('check-big.zip', { 'train/a/0.jpg': jpegOf(64, 64) }));
    expect(big, 'first image of a class is decoded and its size checked').toMatchObject({ ok: false, layout: 'zip' });
    expect(big.message).toMatch(/train\/a\/0\.jpg .* is 64x64x3/);
  });

  it('prefers DWSWAP_DATA, then the shared small zip', () => {
    const before = process.env.DWSWAP_DATA;
    try {
      const mine = makeTinyCifarZip(sub('env'), tiny);
      process.env.DWSWAP_DATA = mine;
      expect(findDefaultDataset(), 'the env var wins when it exists').toBe(mine);
      process.env.DWSWAP_DATA = join(dir, 'absent.zip');
      const found = findDefaultDataset();
      expect(found, 'an absent env path is skipped').not.toBe(process.env.DWSWAP_DATA);
      if (existsSync(SMALL_ZIP)) expect(found, 'then the small zip').toMatch(/cifar10-jpeg-small\.zip$/);
    } finally {
      if (before === undefined) delete process.env.DWSWAP_DATA;
      else process.env.DWSWAP_DATA = before;
    }
  });
});

describe.skipIf(!existsSync(SMALL_ZIP))('the shared cifar10-jpeg-small.zip', () => {
  let full: Cifar;
  it('loads 15000 train and 10000 test images, 1500 and 1000 per class', async () => {
    full = await loadCifar10(SMALL_ZIP);
    expect([full.train.count, full.test.count], 'split sizes').toEqual([15000, 10000]);
    expect(perLabel(full.train, 10), '1500 train images per label').toEqual(new Array(10).fill(1500));
    expect(perLabel(full.test, 10), '1000 test images per label').toEqual(new Array(10).fill(1000));
    expect(full.classes, 'CIFAR-10 classes in label order').toEqual([
      'airplane',
      'automobile',
      'bird',
      'cat',
      'deer',
      'dog',
      'frog',
      'horse',
      'ship',
      'truck',
    ]);
    expect(full.checksum, 'sha256 from shared/data/README.md').toBe(
      '75ef9215704d509d1b7b6789732d7c81890afbab02a04f6eb161c92f5fed80e0',
    );
  });

  it('slices trainPerClass=10 to 100 images, 10 per label, the first files of each class', async () => {
    const d = await loadCifar10(SMALL_ZIP, { trainPerClass: 10, testPerClass: 5 });
    expect([d.train.count, d.test.count], 'slice sizes').toEqual([100, 50]);
    expect(perLabel(d.train, 10), '10 per label').toEqual(new Array(10).fill(10));
    expect(Buffer.compare(image(d.train, 10), image(full.train, 1500)), 'label 1 starts with automobile/0000.jpg').toBe(
      0,
    );
  });
});

describe('tensor helpers', () => {
  const numTensors = (): number => tf.memory().numTensors;

  it('toTensors normalises with the CIFAR-10 mean/std and one-hot encodes labels', () => {
    const split: Split = { images: new Uint8Array(2 * 3072), labels: new Uint8Array([2, 0]), count: 2 };
    split.images.fill(255, 0, 3072);
    const start = numTensors();
    const { x, y } = toTensors(split, ['a', 'b', 'c'], [1, 0]);
    expect(numTensors() - start, 'toTensors leaves only x and y').toBe(2);
    expect(x.shape, 'x is [N,32,32,3]').toEqual([2, 32, 32, 3]);
    expect(x.dtype, 'x is float32').toBe('float32');
    const values = x.arraySync();
    const px = values[1][0][0];
    const zero = values[0][0][0];
    for (let c = 0; c < 3; c++) {
      expect(px[c], `white pixel channel ${c} = (1-mean)/std`).toBeCloseTo((1 - CIFAR10_MEAN[c]) / CIFAR10_STD[c], 5);
      expect(zero[c], `black pixel channel ${c} = -mean/std`).toBeCloseTo(-CIFAR10_MEAN[c] / CIFAR10_STD[c], 5);
    }
    expect(y.arraySync(), 'one-hot rows follow the indices').toEqual([
      [1, 0, 0],
      [0, 0, 1],
    ]);
    const raw = tf.fill([1, 2, 2, 3], 255) as tf.Tensor4D;
    const norm = normalise(raw);
    expect(norm.shape, 'normalise keeps shape').toEqual([1, 2, 2, 3]);
    expect(norm.dataSync()[0], 'normalise = toTensors on the same pixel').toBeCloseTo(px[0], 6);
    tf.dispose([x, y, raw, norm]);
    expect(numTensors(), 'nothing leaks').toBe(start);
  });

  const batch = (n: number, h = 8, w = 8): tf.Tensor4D =>
    tf.tidy(() => tf.range(1, n * h * w * 3 + 1).reshape([n, h, w, 3]) as tf.Tensor4D);

  it('a crop with fixed integer offsets equals the slice of the zero-padded batch', () => {
    const x = batch(3);
    const offsets = tf.tensor2d(
      [
        [0, 0],
        [4, 4],
        [8, 3],
      ],
      [3, 2],
      'int32',
    );
    const got = cropBatch(x, offsets, 4);
    const padded = tf.pad(x, [
      [0, 0],
      [4, 4],
      [4, 4],
      [0, 0],
    ]);
    const want = tf.concat([
      padded.slice([0, 0, 0, 0], [1, 8, 8, 3]),
      padded.slice([1, 4, 4, 0], [1, 8, 8, 3]),
      padded.slice([2, 8, 3, 0], [1, 8, 8, 3]),
    ]);
    expect(got.arraySync(), 'crop equals slice exactly').toEqual(want.arraySync());
    expect(got.slice([1, 0, 0, 0], [1, 8, 8, 3]).arraySync(), 'offset = pad is the original image').toEqual(
      x.slice([1, 0, 0, 0], [1, 8, 8, 3]).arraySync(),
    );
    tf.dispose([x, offsets, got, padded, want]);
  });

  it('a crop reproduces exact slices at 32x32 too (every offset 0..8)', () => {
    const x = tf.tidy(() => tf.randomUniform([9, 32, 32, 3], 0, 255, 'float32', 3).round() as tf.Tensor4D);
    const offs = Array.from({ length: 9 }, (_, i) => [i, 8 - i]);
    const got = cropBatch(x, tf.tensor2d(offs, [9, 2], 'int32'));
    const padded = tf.pad(x, [
      [0, 0],
      [4, 4],
      [4, 4],
      [0, 0],
    ]);
    const want = tf.concat(offs.map(([dy, dx], i) => padded.slice([i, dy, dx, 0], [1, 32, 32, 3])));
    expect(tf.max(tf.abs(got.sub(want))).dataSync()[0], 'max difference is 0').toBe(0);
  });

  it('flipping twice is the identity and the mask picks which images flip', () => {
    const x = batch(2);
    const mask = tf.tensor1d([true, false], 'bool');
    const once = flipBatch(x, mask);
    expect(flipBatch(once, mask).arraySync(), 'flip twice = identity').toEqual(x.arraySync());
    expect(once.slice([1], [1]).arraySync(), 'unmasked image unchanged').toEqual(x.slice([1], [1]).arraySync());
    expect(once.slice([0], [1]).arraySync(), 'masked image mirrored').toEqual(
      tf.reverse(x.slice([0], [1]), 2).arraySync(),
    );
  });

  it('augmentBatch is deterministic per seed and each output is a crop (and maybe a flip) of its input', () => {
    const x = batch(6);
    const before = numTensors();
    const a = augmentBatch(x, 11);
    const b = augmentBatch(x, 11);
    const c = augmentBatch(x, 12);
    expect(numTensors() - before, 'no tensors leak besides the three results').toBe(3);
    expect(a.shape, 'shape preserved').toEqual(x.shape);
    expect(a.arraySync(), 'same seed, same batch').toEqual(b.arraySync());
    expect(a.arraySync(), 'another seed, another batch').not.toEqual(c.arraySync());
    const { offsets, flip } = augmentDraws(6, 11);
    const offs = offsets.arraySync();
    expect(
      offs.flat().every((v) => v >= 0 && v <= 8),
      'offsets in 0..2*pad',
    ).toBe(true);
    const want = flipBatch(cropBatch(x, offsets), flip);
    expect(a.arraySync(), 'augmentBatch = flip(crop(x, draws), draws)').toEqual(want.arraySync());
  });

  it('draws cover all offsets and both flips over a large batch', () => {
    const { offsets, flip } = augmentDraws(2000, 5);
    const seen = new Set(offsets.arraySync().map(([dy, dx]) => `${dy},${dx}`));
    expect(seen.size, 'all 81 offset pairs occur').toBe(81);
    const flips = flip.arraySync() as unknown as boolean[];
    const share = flips.filter(Boolean).length / flips.length;
    expect(share, 'about half the images flip').toBeGreaterThan(0.45);
    expect(share).toBeLessThan(0.55);
  });
});
