/** Errors the host raises at its boundary: a code the transports map, a one-line message, a field. */
import type { ApiError } from '../contract';

export class HostError extends Error {
  constructor(
    readonly code: ApiError['code'],
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'HostError';
  }
}
