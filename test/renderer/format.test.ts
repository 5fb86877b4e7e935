import { describe, expect, it } from 'vitest';
import {
  formatAcc,
  formatDuration,
  formatInt,
  formatMiB,
  formatParams,
  formatPercent,
  formatSeconds,
} from '../../src-renderer/src/lib/format';

describe('format', () => {
  it('formats parameter counts as the study writes them (26.22M)', () => {
    expect(formatParams(26_215_818)).toBe('26.22M');
    expect(formatParams(70_528)).toBe('70.5K');
    expect(formatParams(512)).toBe('512');
    expect(formatParams(null)).toBe('—');
  });

  it('formats MiB with two decimals, with or without the unit', () => {
    expect(formatMiB(100.0059)).toBe('100.01 MiB');
    expect(formatMiB(3.5, false)).toBe('3.50');
    expect(formatMiB(Number.NaN)).toBe('—');
  });

  it('signs percentages and never shows a signed zero', () => {
    expect(formatPercent(3.21)).toBe('+3.2%');
    expect(formatPercent(-12)).toBe('\u221212.0%');
    expect(formatPercent(-0.01)).toBe('0.0%');
    expect(formatPercent(-0.01, 2)).toBe('\u22120.01%');
    expect(formatPercent(null)).toBe('—');
  });

  it('shows accuracies in 0..1 as percentages', () => {
    expect(formatAcc(0.71234)).toBe('71.23%');
    expect(formatAcc(1)).toBe('100.00%');
  });

  it('groups thousands and formats times', () => {
    expect(formatInt(26_215_818)).toBe('26,215,818');
    expect(formatInt(-1234)).toBe('\u22121,234');
    expect(formatSeconds(0.01234)).toBe('0.012 s');
    expect(formatSeconds(12.345)).toBe('12.3 s');
    expect(formatDuration(42)).toBe('42s');
    expect(formatDuration(185)).toBe('3m 05s');
    expect(formatDuration(3725)).toBe('1h 02m');
    expect(formatDuration(-1)).toBe('—');
  });
});
