/**
 * The speed cost of a model, until ONNX Runtime latencies exist: multiply-adds (MACs) of one forward
 * pass of one image, counted per layer at its real output shape (convolutions and dense layers;
 * BatchNorm, ReLU, additions and pooling are not multiply-adds and are left out). A `CostModel` is
 * what budgets and the sensitivity table read, so a measured per-block latency table can replace
 * it later without touching them.
 */
import { BLOCKS, ModelConfigSchema, rankOf, type ModelConfig } from '../../contract';
import { scaled } from '../resnet';

/** What a budget on speed needs: the model's cost, and one block's cost as dense or at depth multiplier r. */
export interface CostModel {
  unit: 'MACs';
  total(cfg: ModelConfig): number;
  /** Cost of the block's 3x3 conv: dense when r is null, else its depthwise + 1x1 replacement. */
  blockConv(cfg: ModelConfig, block: string, r: number | null): number;
}

const convOut = (side: number, kernel: number, stride: number, pad: number) => Math.floor((side + 2 * pad - kernel) / stride) + 1;

/** Spatial side of each stage's 3x3 convs (the ImageNet stem: 7x7/2 with pad 3, then 3x3/2 max-pool with pad 1). */
export function stageSides(inputSize: number): Record<number, number> {
  let side = convOut(convOut(inputSize, 7, 2, 3), 3, 2, 1);
  const sides: Record<number, number> = { 2: side };
  for (const stage of [3, 4, 5]) {
    side = convOut(side, 1, 2, 0);
    sides[stage] = side;
  }
  return sides;
}

function conv3x3Macs(side: number, f: number, r: number | null): number {
  return side * side * (r === null ? 9 * f * f : 9 * f * r + f * r * f);
}

export const MAC_COST: CostModel = {
  unit: 'MACs',
  blockConv(cfg, block, r) {
    const info = BLOCKS.find((b) => b.name === block)!;
    return conv3x3Macs(stageSides(cfg.inputSize)[info.stage], scaled(info.baseWidth, cfg.widthDivisor), r);
  },
  total(cfg) {
    return modelMacs(cfg);
  },
};

/** MACs of one image through the whole ResNet-50 described by `input`. */
export function modelMacs(input: Parameters<typeof ModelConfigSchema.parse>[0]): number {
  const cfg = ModelConfigSchema.parse(input);
  const sides = stageSides(cfg.inputSize);
  const stem = scaled(64, cfg.widthDivisor);
  const s1 = convOut(cfg.inputSize, 7, 2, 3);
  let total = s1 * s1 * 49 * 3 * stem;
  let inCh = stem;
  for (const b of BLOCKS) {
    const f = scaled(b.baseWidth, cfg.widthDivisor);
    const side = sides[b.stage];
    const area = side * side;
    total += area * inCh * f; // 1x1 reduce (with its stride already applied)
    total += conv3x3Macs(side, f, cfg.swapped.includes(b.name) ? rankOf(cfg, b.name) : null);
    total += area * f * 4 * f; // 1x1 expand
    if (b.index === 1) total += area * inCh * 4 * f; // projection shortcut
    inCh = 4 * f;
  }
  let prev = inCh;
  for (const units of cfg.head) {
    const u = scaled(units, cfg.widthDivisor);
    total += prev * u;
    prev = u;
  }
  return total + prev * cfg.classes;
}
