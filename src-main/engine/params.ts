/**
 * Parameter counts of the ResNet-50 the builder makes, computed from the architecture without
 * building it (instant, so the UI can update totals on every click). Tests check every number here
 * against TF.js's own count of a built model.
 */
import { BLOCKS, ModelConfigSchema, rankOf, type BlockParams, type InspectResult, type ModelConfig } from '../contract';
import { scaled } from './resnet';

const MIB = 1024 * 1024;
const conv = (k: number, cin: number, cout: number, bias = true) => k * k * cin * cout + (bias ? cout : 0);
const bn = (c: number) => 4 * c; // gamma, beta (trainable), moving mean and variance (not)

/** The largest useful depth multiplier of a block: min(D^2, N) = min(9, N); the SVD is exact there. */
export function maxRank(baseWidth: number, widthDivisor: number): number {
  return Math.min(9, scaled(baseWidth, widthDivisor));
}

interface Count {
  total: number;
  nonTrainable: number;
}

/** The block's 3x3 conv, or its depthwise (no bias) [+ BN] + 1x1 (with bias) replacement. */
function convPart(f: number, swapped: boolean, cfg: ModelConfig, block: string): Count {
  if (!swapped) return { total: conv(3, f, f), nonTrainable: 0 };
  const r = rankOf(cfg, block);
  const mid = cfg.swap.bnBetween ? bn(f * r) : 0;
  return { total: 9 * f * r + mid + conv(1, f * r, f), nonTrainable: mid / 2 };
}

function blockCount(inCh: number, f: number, first: boolean, swapped: boolean, cfg: ModelConfig, block: string): Count & { conv: number } {
  const c = convPart(f, swapped, cfg, block);
  const shortcut = first ? conv(1, inCh, 4 * f) + bn(4 * f) : 0;
  const total = shortcut + conv(1, inCh, f) + bn(f) + c.total + bn(f) + conv(1, f, 4 * f) + bn(4 * f);
  const nonTrainable = (first ? 2 * 4 * f : 0) + 2 * f + c.nonTrainable + 2 * f + 2 * 4 * f;
  return { total, nonTrainable, conv: c.total };
}

export function inspectModel(input: Parameters<typeof ModelConfigSchema.parse>[0]): InspectResult {
  const cfg = ModelConfigSchema.parse(input);
  const stemW = scaled(64, cfg.widthDivisor);
  let total = conv(7, 3, stemW) + bn(stemW);
  let nonTrainable = 2 * stemW;
  let classicalDelta = 0;
  let inCh = stemW;
  const blocks: BlockParams[] = BLOCKS.map((b) => {
    const f = scaled(b.baseWidth, cfg.widthDivisor);
    const swapped = cfg.swapped.includes(b.name);
    const c = blockCount(inCh, f, b.index === 1, swapped, cfg, b.name);
    classicalDelta += swapped ? conv(3, f, f) - c.conv : 0;
    total += c.total;
    nonTrainable += c.nonTrainable;
    inCh = 4 * f;
    return { name: b.name, label: b.label, swapped, params: c.total, convParams: c.conv, formulaClassical: f * f * 9, formulaSeparable: f * (9 + f), inChannels: f, filters: f };
  });
  let prev = inCh;
  for (const units of cfg.head) {
    const u = scaled(units, cfg.widthDivisor);
    total += prev * u + u;
    prev = u;
  }
  total += prev * cfg.classes + cfg.classes;
  const classicalParams = total + classicalDelta;
  return {
    model: cfg,
    blocks,
    totalParams: total,
    trainableParams: total - nonTrainable,
    weightsMiB: (total * 4) / MIB,
    classicalParams,
    classicalWeightsMiB: (classicalParams * 4) / MIB,
    savedParams: classicalDelta,
    savedPercent: (classicalDelta / classicalParams) * 100,
  };
}
