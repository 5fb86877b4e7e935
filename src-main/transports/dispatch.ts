/**
 * The one request path both transports share: check an untrusted envelope, call the host method
 * it names, and answer an ApiResponse. It never throws and never rejects: every failure becomes
 * `{ ok: false, error }`. Arguments themselves are validated by the host (zod); here only their
 * shape (an array no longer than the method's parameter list) and their size are checked.
 */
import { HOST_METHODS, type ApiError, type ApiResponse, type HostApi, type HostMethod, type HostService } from '../contract';
import { toApiError } from './errors';

/** Largest request accepted, measured as JSON text (a run config is a few KiB). */
export const MAX_REQUEST_BYTES = 256 * 1024;

/** The id answered when a request has no usable id of its own. */
export const NO_ID = -1;

/** Longest parameter list of each method; checked against HostApi by the compiler. */
const ARITY = {
  info: 0,
  inspect: 1,
  checkDataset: 1,
  listRuns: 0,
  getRun: 1,
  startRun: 1,
  cancelRun: 1,
  resumeRun: 1,
  renameRun: 2,
  tagRun: 2,
  deleteRun: 1,
  compare: 2,
  exportRun: 3,
  importRun: 1,
  exportOnnx: 2,
  evalOnnx: 2,
  timeInference: 2,
  blockLatency: 1,
} as const satisfies { [K in HostMethod]: Required<Parameters<HostApi[K]>>['length'] };

type Envelope = { id: number; method: HostMethod; args: unknown[] };

export function isHostMethod(x: unknown): x is HostMethod {
  return typeof x === 'string' && (HOST_METHODS as readonly string[]).includes(x);
}

export async function dispatch(host: HostService, req: unknown): Promise<ApiResponse> {
  const checked = checkEnvelope(req);
  if ('error' in checked) return { id: checked.id, ok: false, error: checked.error };
  const { id, method, args } = checked;
  try {
    const fn = host[method] as (...a: unknown[]) => Promise<unknown>;
    const result = await fn.apply(host, args);
    return { id, ok: true, result: result ?? null };
  } catch (e) {
    return { id, ok: false, error: toApiError(e) };
  }
}

/** The envelope, or the error to answer and the id to answer it with. */
export function checkEnvelope(req: unknown): Envelope | { id: number; error: ApiError } {
  if (typeof req !== 'object' || req === null || Array.isArray(req)) {
    return refuse(NO_ID, 'request must be an object { id, method, args }');
  }
  const r = req as Record<string, unknown>;
  const id = r.id;
  if (typeof id !== 'number' || !Number.isSafeInteger(id)) {
    return refuse(NO_ID, 'request id must be an integer', 'id');
  }
  if (!isHostMethod(r.method)) {
    const name = typeof r.method === 'string' ? r.method.slice(0, 40) : typeof r.method;
    return refuse(id, `unknown method ${name}; use one of ${HOST_METHODS.join(', ')}`, 'method');
  }
  const method = r.method;
  if (!Array.isArray(r.args)) return refuse(id, 'args must be an array of the method arguments', 'args');
  if (r.args.length > ARITY[method]) {
    return refuse(id, `${method} takes at most ${ARITY[method]} argument(s), got ${r.args.length}`, 'args');
  }
  const size = jsonSize(r.args);
  if (size === null) return refuse(id, 'args must be JSON data (no cycles or bigints)', 'args');
  if (size > MAX_REQUEST_BYTES) {
    return refuse(id, `request too large (${size} bytes, limit ${MAX_REQUEST_BYTES}); send less data`, 'args');
  }
  return { id, method, args: r.args };
}

function refuse(id: number, message: string, field?: string): { id: number; error: ApiError } {
  return { id, error: field ? { code: 'bad-input', message, field } : { code: 'bad-input', message } };
}

/** Bytes of the JSON text of `x`, or null when it is not JSON data. */
function jsonSize(x: unknown): number | null {
  try {
    const text = JSON.stringify(x);
    return text === undefined ? null : Buffer.byteLength(text, 'utf8');
  } catch {
    return null;
  }
}
