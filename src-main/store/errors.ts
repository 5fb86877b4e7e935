/**
 * The store's one error type. Every message is a single line that names the problem and the fix;
 * `code` matches the transport's ApiError codes so the host can forward it unchanged.
 */
import type { ApiError } from '../contract';

export type StoreErrorCode = ApiError['code'];

export class StoreError extends Error {
  readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
    this.code = code;
  }
}

export function runNotFound(id: string): StoreError {
  return new StoreError('not-found', `no run with id ${id}; it may have been deleted, refresh the run list`);
}

/** Node's error code (`ENOENT`, `EEXIST`...) of an unknown thrown value, if it has one. */
export function errnoCode(e: unknown): string | undefined {
  return e instanceof Error && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
}
