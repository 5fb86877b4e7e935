import { describe, expect, it } from 'vitest';
import { jobEta, jobFraction, jobPosition, jobStatus } from '../src-main/host/jobProgress';
import { PROFILES, reproducePlan } from '../src-main/host/reproduce';

const steps = [
  { label: 'baseline', weight: 12 },
  { label: 'greedy', weight: 16 },
  { label: 'ours', weight: 4 },
  { label: 'control', weight: 16 },
];

describe('reproduce: run k of n and the job ETA', () => {
  it('weighs runs by their training epochs', () => {
    expect(jobFraction(steps, 0, 0)).toBe(0);
    expect(jobFraction(steps, 0, 0.5)).toBeCloseTo(6 / 48, 12);
    expect(jobFraction(steps, 2, 0.5)).toBeCloseTo((12 + 16 + 2) / 48, 12);
    expect(jobFraction(steps, 3, 1)).toBe(1);
    expect(jobFraction(steps, 1, 7)).toBeCloseTo(28 / 48, 12);
  });

  it('scales the elapsed time by what is left, and gives none before there is anything to go by', () => {
    expect(jobEta(100, 0.25)).toBe(300);
    expect(jobEta(100, 0)).toBeNull();
    expect(jobEta(0, 0.5)).toBeNull();
  });

  it('says where the job is', () => {
    expect(jobPosition(steps, 1)).toBe('run 2/4 greedy');
    expect(jobStatus(steps, 1, 0.5, 60)).toBe('job 42%, ETA ~1m24s (estimate)');
    expect(jobStatus(steps, 0, 0, 1)).toBe('job 0%, ETA ? (estimate)');
  });

  it("plans the quick profile's four runs from its settings", () => {
    expect(reproducePlan(PROFILES.quick).map((s) => s.weight)).toEqual([12, 16, 4, 16]);
  });
});
