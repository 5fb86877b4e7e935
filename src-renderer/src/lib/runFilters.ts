/** Searching and filtering the run history (pure, so History's behaviour is testable). */
import type { ProtocolKind, RunStatus, RunSummary } from '@contract';

export interface RunFilter {
  search: string;
  status: RunStatus | 'all';
  protocol: ProtocolKind | 'all';
}

export const EMPTY_FILTER: RunFilter = { search: '', status: 'all', protocol: 'all' };

/** Every whitespace-separated term must appear in the name, id, protocol, status, backend or a tag. */
export function matchesSearch(run: RunSummary, search: string): boolean {
  const terms = search.toLowerCase().split(/\s+/).filter(Boolean);
  if (terms.length === 0) return true;
  const hay = [run.name, run.id, run.protocol, run.status, run.backend ?? '', ...run.tags].join(' ').toLowerCase();
  return terms.every((t) => hay.includes(t));
}

/** Filtered and sorted newest first. */
export function filterRuns(runs: readonly RunSummary[], f: RunFilter): RunSummary[] {
  return runs
    .filter((r) => (f.status === 'all' || r.status === f.status) && (f.protocol === 'all' || r.protocol === f.protocol))
    .filter((r) => matchesSearch(r, f.search))
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

/** Finished baseline runs, newest first: the runs a swap protocol or the control can start from. */
export function baselineCandidates(runs: readonly RunSummary[]): RunSummary[] {
  return runs
    .filter((r) => r.protocol === 'baseline' && r.status === 'done')
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

/** "a, b ,, c" -> ["a", "b", "c"] without duplicates. */
export function parseTags(raw: string): string[] {
  return [
    ...new Set(
      raw
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
    ),
  ];
}

export function isActive(status: RunStatus): boolean {
  return status === 'queued' || status === 'running';
}

export function canResume(status: RunStatus): boolean {
  return status === 'cancelled' || status === 'interrupted' || status === 'failed';
}
