/**
 * The renderer's side of the contract: a HostClient implementing HostApi (+ onEvent), over the
 * Electron preload bridge when there is one, else over a WebSocket to the page's own host.
 */
import type {
  ApiError,
  ApiResponse,
  HostApi,
  HostEvent,
  HostMethod,
  HostService,
  InferenceTimingSchema,
  ModelConfigSchema,
  RunConfigInput,
} from '@contract';
import type { z } from 'zod';
import { isPreloadBridge } from './bridge';
import { readToken, socketUrl } from '../lib/route';
import { SocketTransport } from './socket';
import { BridgeTransport, type ConnectionState, type Transport } from './transport';

/** An ApiError thrown as an Error: `message` is the host's one-line message; `field` names the input. */
export class HostError extends Error {
  readonly code: ApiError['code'];
  readonly field: string | undefined;

  constructor(error: ApiError) {
    super(error.message);
    this.name = 'HostError';
    this.code = error.code;
    this.field = error.field;
  }
}

type Result<M extends HostMethod> = Awaited<ReturnType<HostApi[M]>>;

/** Drops trailing `undefined` arguments (JSON would turn them into null). */
function trimArgs(args: unknown[]): unknown[] {
  let n = args.length;
  while (n > 0 && args[n - 1] === undefined) n--;
  return args.slice(0, n);
}

export class HostClient implements HostService {
  constructor(private readonly transport: Transport) {}

  get kind(): Transport['kind'] {
    return this.transport.kind;
  }

  get state(): ConnectionState {
    return this.transport.state;
  }

  onEvent(listener: (event: HostEvent) => void): () => void {
    return this.transport.onEvent(listener);
  }

  onConnection(listener: (state: ConnectionState) => void): () => void {
    return this.transport.onState(listener);
  }

  /** Called when the connection comes back after being down (events may have been missed). */
  onReconnect(listener: () => void): () => void {
    let down = false;
    return this.transport.onState((s) => {
      if (s === 'down') down = true;
      else if (s === 'open' && down) {
        down = false;
        listener();
      }
    });
  }

  close(): void {
    this.transport.close();
  }

  private async call<M extends HostMethod>(method: M, ...args: Parameters<HostApi[M]>): Promise<Result<M>> {
    const res: ApiResponse = await this.transport.request(method, trimArgs(args));
    if (!res.ok) throw new HostError(res.error);
    return res.result as Result<M>;
  }

  info() {
    return this.call('info');
  }
  inspect(model: z.input<typeof ModelConfigSchema>) {
    return this.call('inspect', model);
  }
  checkDataset(path: string) {
    return this.call('checkDataset', path);
  }
  listRuns() {
    return this.call('listRuns');
  }
  getRun(id: string) {
    return this.call('getRun', id);
  }
  startRun(config: RunConfigInput) {
    return this.call('startRun', config);
  }
  cancelRun(id: string) {
    return this.call('cancelRun', id);
  }
  resumeRun(id: string) {
    return this.call('resumeRun', id);
  }
  renameRun(id: string, name: string) {
    return this.call('renameRun', id, name);
  }
  tagRun(id: string, tags: string[]) {
    return this.call('tagRun', id, tags);
  }
  deleteRun(id: string) {
    return this.call('deleteRun', id);
  }
  compare(ids: string[], referenceId?: string) {
    return this.call('compare', ids, referenceId);
  }
  exportRun(id: string, path: string, overwrite?: boolean) {
    return this.call('exportRun', id, path, overwrite ?? false);
  }
  importRun(path: string) {
    return this.call('importRun', path);
  }
  exportOnnx(id: string, path: string) {
    return this.call('exportOnnx', id, path);
  }
  evalOnnx(path: string, data?: { path?: string; testPerClass?: number }) {
    return this.call('evalOnnx', path, data);
  }
  timeInference(ids: string[], timing?: z.input<typeof InferenceTimingSchema>) {
    return this.call('timeInference', ids, timing);
  }
  blockLatency(opts?: { refresh?: boolean; widthDivisor?: number }) {
    return this.call('blockLatency', opts);
  }
}

const TOKEN_KEY = 'dwswap.token';

/** The token from the URL, remembered for this tab so a reload after navigation keeps working. */
export function pageToken(): string | null {
  const fromUrl = readToken(location.search, location.hash);
  if (fromUrl) sessionStorage.setItem(TOKEN_KEY, fromUrl);
  return fromUrl ?? sessionStorage.getItem(TOKEN_KEY);
}

/** Whether the page knows a host token (from its URL or earlier in this tab). */
export function hasPageToken(): boolean {
  return readToken(location.search, location.hash) !== null || sessionStorage.getItem(TOKEN_KEY) !== null;
}

/** Electron preload if present, else a WebSocket to `ws(s)://<location.host>/api?token=…`. */
export function connectHost(): HostClient {
  if (isPreloadBridge(window.dwswap)) return new HostClient(new BridgeTransport(window.dwswap));
  return new HostClient(new SocketTransport(socketUrl(location, pageToken())));
}

/** The one-line message of anything thrown by a HostClient call. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
