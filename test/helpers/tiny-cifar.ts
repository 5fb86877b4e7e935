/**
 * Synthetic CIFAR-shaped datasets for tests, in all three layouts, written in milliseconds.
 * Class k has its own base colour and stripe pattern (plus per-pixel noise and a brightness
 * jitter), so even a tiny model separates the classes after a few steps, also under random crops
 * and flips. Classes are sorted, so label k is the same class in every layout.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';

export const TINY_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

export interface TinyCifarOptions {
  perClassTrain: number;
  perClassTest: number;
  /** Class names (sorted before use); default CIFAR-10's ten. */
  classes?: string[];
  seed?: number;
  /** Per-pixel noise amplitude (0..255 scale); default 24. */
  noise?: number;
  /** Put train/ and test/ under this folder (zip and folder layouts). */
  topFolder?: string;
  /** File or folder name inside `dir` (zip and folder layouts). */
  name?: string;
  /** JPEG quality; default 90. */
  quality?: number;
}

export interface TinyArrays {
  classes: string[];
  /** HWC RGB, class-major (all of class 0, then class 1, ...). */
  train: { images: Uint8Array; labels: Uint8Array; count: number };
  test: { images: Uint8Array; labels: Uint8Array; count: number };
}

const PALETTE = [
  [220, 50, 50],
  [50, 180, 60],
  [50, 80, 220],
  [230, 210, 50],
  [200, 60, 200],
  [50, 200, 210],
  [240, 140, 40],
  [120, 60, 170],
  [205, 205, 205],
  [60, 60, 60],
];

function colour(k: number): number[] {
  if (k < PALETTE.length) return PALETTE[k];
  const h = (k * 0.618034) % 1; // golden-ratio hues for extra classes
  const f = (t: number): number => Math.round(127 + 100 * Math.cos(2 * Math.PI * (h + t)));
  return [f(0), f(1 / 3), f(2 / 3)];
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function stripe(k: number, y: number, x: number): number {
  const period = 4 + (k % 3) * 2;
  const kind = k % 4;
  const v = kind === 0 ? y : kind === 1 ? x : kind === 2 ? x + y : (Math.floor(x / 4) + Math.floor(y / 4)) * period;
  return Math.floor(v / (period / 2)) % 2 === 0 ? 40 : -40;
}

/** One 32x32 HWC RGB image of class k. */
export function tinyImage(k: number, rand: () => number, noise = 24): Uint8Array {
  const img = new Uint8Array(32 * 32 * 3);
  const base = colour(k);
  const jitter = (rand() - 0.5) * 30;
  for (let y = 0; y < 32; y++) {
    for (let x = 0; x < 32; x++) {
      const s = stripe(k, y, x) + jitter;
      for (let c = 0; c < 3; c++) {
        const v = base[c] + s + (rand() - 0.5) * 2 * noise;
        img[(y * 32 + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
  return img;
}

/** The pixel arrays every layout is written from. */
export function makeTinyCifarArrays(opts: TinyCifarOptions): TinyArrays {
  const classes = [...(opts.classes ?? TINY_CLASSES)].sort();
  const split = (perClass: number, salt: number): TinyArrays['train'] => {
    const count = perClass * classes.length;
    const images = new Uint8Array(count * 3072);
    const labels = new Uint8Array(count);
    const rand = mulberry32((opts.seed ?? 1) * 1000003 + salt);
    for (let k = 0, i = 0; k < classes.length; k++) {
      for (let j = 0; j < perClass; j++, i++) {
        images.set(tinyImage(k, rand, opts.noise), i * 3072);
        labels[i] = k;
      }
    }
    return { images, labels, count };
  };
  return { classes, train: split(opts.perClassTrain, 1), test: split(opts.perClassTest, 2) };
}

/** Relative path -> JPEG bytes for the image-folder layouts. */
function treeFiles(opts: TinyCifarOptions): Record<string, Uint8Array> {
  const data = makeTinyCifarArrays(opts);
  const top = opts.topFolder ? `${opts.topFolder}/` : '';
  const files: Record<string, Uint8Array> = {};
  for (const s of ['train', 'test'] as const) {
    const counters = new Array<number>(data.classes.length).fill(0);
    for (let i = 0; i < data[s].count; i++) {
      const k = data[s].labels[i];
      const name = `${top}${s}/${data.classes[k]}/${String(counters[k]++).padStart(4, '0')}.jpg`;
      files[name] = encodeJpeg(data[s].images.subarray(i * 3072, (i + 1) * 3072), 32, 32, opts.quality ?? 90);
    }
  }
  return files;
}

/** Writes `<dir>/<name ?? tiny-cifar.zip>` (stored entries); returns its path. */
export function makeTinyCifarZip(dir: string, opts: TinyCifarOptions): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, opts.name ?? 'tiny-cifar.zip');
  writeFileSync(path, zipSync(treeFiles(opts), { level: 0 }));
  return path;
}

/** Writes `<dir>/<name ?? tiny-cifar>/{train,test}/<class>/NNNN.jpg`; returns that folder. */
export function makeTinyCifarFolder(dir: string, opts: TinyCifarOptions): string {
  const root = join(dir, opts.name ?? 'tiny-cifar');
  for (const [rel, bytes] of Object.entries(treeFiles(opts))) {
    const file = join(root, rel);
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, bytes);
  }
  return root;
}

/** Writes records (label byte + CHW planes) into data_batch_1..5.bin (round-robin) and test_batch.bin. */
export function writeBinaryBatches(dir: string, train: Uint8Array[], test: Uint8Array[], classes: string[]): string {
  const out = join(dir, 'cifar-10-batches-bin');
  mkdirSync(out, { recursive: true });
  const batches: Uint8Array[][] = [[], [], [], [], []];
  train.forEach((r, i) => batches[i % 5].push(r));
  const concat = (rs: Uint8Array[]): Uint8Array => {
    const buf = new Uint8Array(rs.length * 3073);
    rs.forEach((r, i) => buf.set(r, i * 3073));
    return buf;
  };
  batches.forEach((b, i) => writeFileSync(join(out, `data_batch_${i + 1}.bin`), concat(b)));
  writeFileSync(join(out, 'test_batch.bin'), concat(test));
  writeFileSync(join(out, 'batches.meta.txt'), `${classes.join('\n')}\n\n`);
  return out;
}

/** One binary record from an HWC image. */
export function binaryRecord(label: number, hwc: Uint8Array): Uint8Array {
  const rec = new Uint8Array(3073);
  rec[0] = label;
  for (let p = 0; p < 1024; p++) for (let c = 0; c < 3; c++) rec[1 + c * 1024 + p] = hwc[p * 3 + c];
  return rec;
}

/**
 * Writes `<dir>/cifar-10-batches-bin/` with classes interleaved as in the real release (sample 0 of
 * every class, then sample 1, ...); returns that directory. Pixels are exact (no JPEG).
 */
export function makeTinyCifarBinary(dir: string, opts: TinyCifarOptions): string {
  const data = makeTinyCifarArrays(opts);
  const records = (s: TinyArrays['train'], perClass: number): Uint8Array[] => {
    const out: Uint8Array[] = [];
    for (let j = 0; j < perClass; j++) {
      for (let k = 0; k < data.classes.length; k++) {
        const i = k * perClass + j;
        out.push(binaryRecord(k, s.images.subarray(i * 3072, (i + 1) * 3072)));
      }
    }
    return out;
  };
  return writeBinaryBatches(
    dir,
    records(data.train, opts.perClassTrain),
    records(data.test, opts.perClassTest),
    data.classes,
  );
}

// ---------------------------------------------------------------------------------------------
// A small baseline JPEG encoder (JFIF, 4:4:4, the standard tables of ITU T.81 Annex K). jpeg-js's
// encode() rebuilds its lookup tables on every call, about 20 ms per image, which would make a
// few hundred test images take seconds; this one shares its tables and takes ~0.1 ms per 32x32.
// Its output is read back by jpeg-js's decoder in the tests, like any JPEG.
// ---------------------------------------------------------------------------------------------

const ZIGZAG = [
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
  35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47,
  55, 62, 63,
];
const LUMA_Q = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51,
  87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101,
  72, 92, 95, 98, 112, 100, 103, 99,
];
const CHROMA_Q = Array.from({ length: 64 }, (_, i) => {
  const head = [
    [17, 18, 24, 47],
    [18, 21, 26, 66],
    [24, 26, 56],
    [47, 66],
  ];
  return head[i >> 3]?.[i & 7] ?? 99;
});
const hex = (h: string): number[] => Array.from(Buffer.from(h, 'hex'));
const SYMBOLS_0_11 = Array.from({ length: 12 }, (_, i) => i);
const HUFF_SPECS = {
  dcLuma: { id: 0x00, bits: [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0], vals: SYMBOLS_0_11 },
  acLuma: {
    id: 0x10,
    bits: [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d],
    vals: hex(
      '01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a16' +
        '1718191a25262728292a3435363738393a434445464748494a535455565758595a63646566676869' +
        '6a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6' +
        'b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9fa',
    ),
  },
  dcChroma: { id: 0x01, bits: [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0], vals: SYMBOLS_0_11 },
  acChroma: {
    id: 0x11,
    bits: [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77],
    vals: hex(
      '000102031104052131061241510761711322328108144291a1b1c109233352f0156272d10a162434' +
        'e125f11718191a262728292a35363738393a434445464748494a535455565758595a636465666768' +
        '696a737475767778797a82838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4' +
        'b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae2e3e4e5e6e7e8e9eaf2f3f4f5f6f7f8f9fa',
    ),
  },
};

interface Huffman {
  code: Uint16Array;
  size: Uint8Array;
}

/** Canonical Huffman codes from the per-length counts (T.81 Annex C). */
function huffman(spec: { bits: number[]; vals: number[] }): Huffman {
  const t: Huffman = { code: new Uint16Array(256), size: new Uint8Array(256) };
  let code = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    for (let i = 0; i < spec.bits[len - 1]; i++, k++, code++) {
      t.code[spec.vals[k]] = code;
      t.size[spec.vals[k]] = len;
    }
    code <<= 1;
  }
  return t;
}

const HUFF = {
  dcLuma: huffman(HUFF_SPECS.dcLuma),
  acLuma: huffman(HUFF_SPECS.acLuma),
  dcChroma: huffman(HUFF_SPECS.dcChroma),
  acChroma: huffman(HUFF_SPECS.acChroma),
};

/** COS[u*8+x] = c(u)/2 * cos((2x+1)u*pi/16), so F = COS * f * COS^T is the 8x8 forward DCT. */
const COS = Float64Array.from({ length: 64 }, (_, i) => {
  const [u, x] = [i >> 3, i & 7];
  return (u === 0 ? Math.SQRT1_2 : 1) * 0.5 * Math.cos(((2 * x + 1) * u * Math.PI) / 16);
});

function scaledQuant(base: number[], quality: number): number[] {
  const q = Math.min(100, Math.max(1, Math.round(quality)));
  const s = q < 50 ? 5000 / q : 200 - 2 * q;
  return base.map((b) => Math.min(255, Math.max(1, Math.floor((b * s + 50) / 100))));
}

class BitWriter {
  bytes: number[] = [];
  private acc = 0;
  private n = 0;
  put(code: number, size: number): void {
    this.acc = ((this.acc << size) | code) & 0xffffff; // < 8 pending + <= 16 new bits
    this.n += size;
    while (this.n >= 8) {
      this.n -= 8;
      const byte = (this.acc >> this.n) & 0xff;
      this.bytes.push(byte);
      if (byte === 0xff) this.bytes.push(0); // byte stuffing
    }
  }
  /** Pads the last byte with 1 bits. */
  flush(): void {
    if (this.n > 0) this.put((1 << (8 - this.n)) - 1, 8 - this.n);
  }
}

function putValue(w: BitWriter, t: Huffman, symbolHigh: number, v: number): void {
  const cat = v === 0 ? 0 : 32 - Math.clz32(Math.abs(v));
  const sym = symbolHigh | cat;
  w.put(t.code[sym], t.size[sym]);
  if (cat) w.put(v < 0 ? v + (1 << cat) - 1 : v, cat);
}

const ROW = Int32Array.from(ZIGZAG, (i) => i >> 3);
const COL = Int32Array.from(ZIGZAG, (i) => i & 7);
const tmp = new Float64Array(64);
const coef = new Int32Array(64);

/** DCT, quantisation and Huffman coding of one level-shifted 8x8 block; returns its DC. */
function encodeBlock(f: Float64Array, q: number[], prevDc: number, dc: Huffman, ac: Huffman, w: BitWriter): number {
  for (let y = 0; y < 8; y++)
    for (let u = 0; u < 8; u++) {
      let s = 0;
      for (let x = 0; x < 8; x++) s += COS[u * 8 + x] * f[y * 8 + x];
      tmp[y * 8 + u] = s;
    }
  for (let k = 0; k < 64; k++) {
    const [v, u] = [ROW[k], COL[k]];
    let s = 0;
    for (let y = 0; y < 8; y++) s += COS[v * 8 + y] * tmp[y * 8 + u];
    coef[k] = Math.round(s / q[ZIGZAG[k]]);
  }
  putValue(w, dc, 0, coef[0] - prevDc);
  let run = 0;
  for (let k = 1; k < 64; k++) {
    if (coef[k] === 0) {
      run++;
      continue;
    }
    for (; run > 15; run -= 16) w.put(ac.code[0xf0], ac.size[0xf0]); // ZRL
    putValue(w, ac, run << 4, coef[k]);
    run = 0;
  }
  if (run > 0) w.put(ac.code[0], ac.size[0]); // EOB
  return coef[0];
}

function segment(marker: number, body: number[]): number[] {
  const len = body.length + 2;
  return [0xff, marker, len >> 8, len & 0xff, ...body];
}

function headers(width: number, height: number, qLuma: number[], qChroma: number[]): number[] {
  const zig = (q: number[]): number[] => ZIGZAG.map((i) => q[i]);
  const dht = Object.values(HUFF_SPECS).flatMap((h) => [h.id, ...h.bits, ...h.vals]);
  return [
    0xff,
    0xd8,
    ...segment(0xe0, [0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]),
    ...segment(0xdb, [0, ...zig(qLuma), 1, ...zig(qChroma)]),
    ...segment(0xc0, [8, height >> 8, height & 0xff, width >> 8, width & 0xff, 3, 1, 0x11, 0, 2, 0x11, 1, 3, 0x11, 1]),
    ...segment(0xc4, dht),
    ...segment(0xda, [3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0]),
  ];
}

const headerCache = new Map<string, { head: Uint8Array; qLuma: number[]; qChroma: number[] }>();

function prepared(
  width: number,
  height: number,
  quality: number,
): { head: Uint8Array; qLuma: number[]; qChroma: number[] } {
  const key = `${width}x${height}@${quality}`;
  let p = headerCache.get(key);
  if (!p) {
    const qLuma = scaledQuant(LUMA_Q, quality);
    const qChroma = scaledQuant(CHROMA_Q, quality);
    p = { head: Uint8Array.from(headers(width, height, qLuma, qChroma)), qLuma, qChroma };
    headerCache.set(key, p);
  }
  return p;
}

/** Encodes HWC RGB bytes as a baseline JPEG (edges replicated to whole 8x8 blocks). */
export function encodeJpeg(rgb: Uint8Array, width: number, height: number, quality = 90): Uint8Array {
  const { head, qLuma, qChroma } = prepared(width, height, quality);
  const w = new BitWriter();
  const prev = [0, 0, 0];
  const blocks = [new Float64Array(64), new Float64Array(64), new Float64Array(64)];
  for (let by = 0; by < height; by += 8) {
    for (let bx = 0; bx < width; bx += 8) {
      for (let i = 0; i < 64; i++) {
        const y = Math.min(height - 1, by + (i >> 3));
        const x = Math.min(width - 1, bx + (i & 7));
        const o = (y * width + x) * 3;
        const [r, g, b] = [rgb[o], rgb[o + 1], rgb[o + 2]];
        blocks[0][i] = 0.299 * r + 0.587 * g + 0.114 * b - 128;
        blocks[1][i] = -0.168736 * r - 0.331264 * g + 0.5 * b;
        blocks[2][i] = 0.5 * r - 0.418688 * g - 0.081312 * b;
      }
      prev[0] = encodeBlock(blocks[0], qLuma, prev[0], HUFF.dcLuma, HUFF.acLuma, w);
      prev[1] = encodeBlock(blocks[1], qChroma, prev[1], HUFF.dcChroma, HUFF.acChroma, w);
      prev[2] = encodeBlock(blocks[2], qChroma, prev[2], HUFF.dcChroma, HUFF.acChroma, w);
    }
  }
  w.flush();
  const out = new Uint8Array(head.length + w.bytes.length + 2);
  out.set(head);
  out.set(w.bytes, head.length);
  out.set([0xff, 0xd9], head.length + w.bytes.length);
  return out;
}
