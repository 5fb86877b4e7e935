import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../../src-main/contract';
import {
  EMPTY_FILTER,
  baselineCandidates,
  canResume,
  filterRuns,
  isActive,
  parseTags,
} from '../../src-renderer/src/lib/runFilters';

function run(p: Partial<RunSummary> & Pick<RunSummary, 'id'>): RunSummary {
  return {
    name: '',
    tags: [],
    protocol: 'baseline',
    status: 'done',
    statusReason: null,
    createdAt: '2025-01-01T00:00:00Z',
    updatedAt: '2025-01-01T00:00:00Z',
    backend: 'cpu',
    device: null,
    datasetChecksum: null,
    appVersion: '0',
    final: null,
    swapped: [],
    checkpointPath: null,
    weightsPath: null,
    widthDivisor: 1,
    ...p,
  };
}

const runs = [
  run({ id: 'a', name: 'Baseline study', tags: ['study'], createdAt: '2025-01-01T00:00:00Z' }),
  run({ id: 'b', name: 'Greedy 70', protocol: 'greedy', status: 'running', createdAt: '2025-01-03T00:00:00Z' }),
  run({
    id: 'c',
    name: 'Ours',
    protocol: 'ours',
    status: 'failed',
    tags: ['svd', 'study'],
    createdAt: '2025-01-02T00:00:00Z',
  }),
  run({ id: 'd', name: 'Old baseline', createdAt: '2024-12-01T00:00:00Z' }),
];

describe('run history filters', () => {
  it('sorts newest first with no filter', () => {
    expect(filterRuns(runs, EMPTY_FILTER).map((r) => r.id)).toEqual(['b', 'c', 'a', 'd']);
  });

  it('filters by status and protocol', () => {
    expect(filterRuns(runs, { ...EMPTY_FILTER, status: 'failed' }).map((r) => r.id)).toEqual(['c']);
    expect(filterRuns(runs, { ...EMPTY_FILTER, protocol: 'baseline' }).map((r) => r.id)).toEqual(['a', 'd']);
  });

  it('matches every search term against name, tags, protocol and id, case-insensitively', () => {
    expect(filterRuns(runs, { ...EMPTY_FILTER, search: 'STUDY' }).map((r) => r.id)).toEqual(['c', 'a']);
    expect(filterRuns(runs, { ...EMPTY_FILTER, search: 'study svd' }).map((r) => r.id)).toEqual(['c']);
    expect(filterRuns(runs, { ...EMPTY_FILTER, search: 'greedy' }).map((r) => r.id)).toEqual(['b']);
  });

  it('offers only finished baselines as starting points, newest first', () => {
    expect(baselineCandidates(runs).map((r) => r.id)).toEqual(['a', 'd']);
  });

  it('parses tags and classifies statuses', () => {
    expect(parseTags(' a, b ,,a, c ')).toEqual(['a', 'b', 'c']);
    expect(isActive('queued') && isActive('running') && !isActive('done')).toBe(true);
    expect(canResume('interrupted') && canResume('cancelled') && !canResume('done')).toBe(true);
  });
});
