/**
 * Checks on what callers hand the repository, and run ids.
 */
import { randomBytes } from 'node:crypto';
import { BLOCKS, normaliseBlockName, type RunStatus } from '../contract';
import { StoreError } from './errors';

export const RUN_STATUSES = [
  'queued',
  'running',
  'cancelled',
  'interrupted',
  'done',
  'failed',
] as const satisfies readonly RunStatus[];

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export function isSafeRunId(id: string): boolean {
  return SAFE_ID.test(id);
}

/** Sortable by creation time: base-36 milliseconds, then 8 random hex digits. */
export function newRunId(): string {
  return `${Date.now().toString(36).padStart(9, '0')}-${randomBytes(4).toString('hex')}`;
}

export function badInput(message: string): StoreError {
  return new StoreError('bad-input', message);
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what this finds
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Whether `s` holds a C0 or C1 control character (ESC sequences that could drive a terminal, newlines). */
export function hasControl(s: string): boolean {
  return CONTROL.test(s);
}

export function checkName(name: string): string {
  const n = name.trim();
  if (n.length < 1 || n.length > 200)
    throw badInput('a run name must be 1 to 200 characters; type a shorter or non-empty name');
  if (hasControl(n))
    throw badInput('a run name must not contain control characters (escape sequences, newlines, tabs); type plain text');
  return n;
}

export function checkTags(tags: readonly string[]): string[] {
  const out = [...new Set(tags.map((t) => t.trim()).filter((t) => t !== ''))];
  if (out.some(hasControl)) throw badInput('a tag must not contain control characters (escape sequences, newlines, tabs); type plain text');
  const bad = out.find((t) => t.length > 40);
  if (bad) throw badInput(`tag "${bad.slice(0, 20)}..." is longer than 40 characters; use a shorter tag`);
  if (out.length > 32) throw badInput(`a run can have at most 32 tags (got ${out.length}); remove some`);
  return out;
}

export function checkBlocks(names: readonly string[]): string[] {
  return names.map((n) => {
    const b = normaliseBlockName(n);
    if (b === null)
      throw badInput(`unknown block "${n}"; use one of ${BLOCKS[0].label} ... ${BLOCKS[BLOCKS.length - 1].label}`);
    return b;
  });
}
