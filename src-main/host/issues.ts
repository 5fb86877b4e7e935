/**
 * One line for a refused config field, with the field's real limit. zod reports an out-of-range
 * integer twice (the safe-integer check, `<=9007199254740991`, and the schema's own max, `<=10000`)
 * and words both as "Too big: expected int to be <=...": here the tightest bound at the first
 * issue's path wins and is worded as "epochs must be at most 10000". A message a schema gives
 * itself (one that is not zod's default wording) is kept.
 */

import { issueField as fieldOf, type IssueLocation } from '../contract';

export interface IssueLike extends IssueLocation {
  message: string;
  maximum?: unknown;
  minimum?: unknown;
  expected?: unknown;
  inclusive?: boolean;
}

const DEFAULT_WORDING = /^(Too big|Too small|Invalid input): /;

export function issueField(issue: IssueLocation): string {
  return fieldOf(issue);
}

function bound(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'bigint') return Number(v);
  return null;
}

/** The field (dotted path, '' for the root) and the one-line message for a list of zod issues. */
export function describeIssues(issues: readonly IssueLike[]): { field: string; message: string } {
  const first = issues[0];
  const field = issueField(first);
  const name = field || 'value';
  // A field from another protocol: its message already names it ("initFrom does not apply to ...").
  if (first.code === 'unrecognized_keys') return { field, message: first.message };
  if (!DEFAULT_WORDING.test(first.message)) return { field, message: field ? `${field}: ${first.message}` : first.message };
  const here = issues.filter((i) => issueField(i) === field && i.code === first.code);
  if (first.code === 'too_big') {
    const max = Math.min(...here.map((i) => bound(i.maximum) ?? Infinity));
    if (Number.isFinite(max)) return { field, message: `${name} must be at most ${max}${first.inclusive === false ? ' (exclusive)' : ''}` };
  }
  if (first.code === 'too_small') {
    const min = Math.max(...here.map((i) => bound(i.minimum) ?? -Infinity));
    if (Number.isFinite(min)) return { field, message: `${name} must be at least ${min}${first.inclusive === false ? ' (exclusive)' : ''}` };
  }
  if (first.code === 'invalid_type' && first.expected === 'int') return { field, message: `${name} must be a whole number` };
  return { field, message: field ? `${field}: ${first.message}` : first.message };
}
