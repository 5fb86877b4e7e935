/**
 * WebSocket transport for the headless host: `ws(s)://<host>/api?token=<token>`, speaking the
 * ApiRequest / WireMessage JSON envelopes of src-main/contract/wire.ts. Requests made while the socket is
 * down wait (up to `queueTimeoutMs`) for the reconnect; requests in flight when it drops fail with
 * a one-line error (they are not replayed: startRun must not run twice).
 */
import type { ApiError, ApiRequest, ApiResponse, HostEvent, HostMethod, WireMessage } from '@contract';
import { reconnectDelay } from './backoff';
import type { ConnectionState, Transport } from './transport';

/** The part of the WebSocket interface used here (the browser's, or the `ws` package's in tests). */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: never) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: never) => void) | null;
  onerror: ((ev: never) => void) | null;
}

export interface SocketOptions {
  create?: (url: string) => SocketLike;
  /** How long a request may wait for a connection before failing (ms). */
  queueTimeoutMs?: number;
  random?: () => number;
}

interface Pending {
  method: HostMethod;
  frame: string;
  sent: boolean;
  resolve: (r: ApiResponse) => void;
  timer?: ReturnType<typeof setTimeout>;
}

const OPEN = 1;

function failure(id: number, message: string, code: ApiError['code'] = 'internal'): ApiResponse {
  return { id, ok: false, error: { code, message } };
}

export class SocketTransport implements Transport {
  readonly kind = 'websocket';
  state: ConnectionState = 'connecting';
  private socket: SocketLike | null = null;
  private nextId = 1;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  private readonly pending = new Map<number, Pending>();
  private readonly eventListeners = new Set<(e: HostEvent) => void>();
  private readonly stateListeners = new Set<(s: ConnectionState) => void>();

  constructor(
    private readonly url: string,
    private readonly opts: SocketOptions = {},
  ) {
    this.open();
  }

  request(method: HostMethod, args: unknown[]): Promise<ApiResponse> {
    const id = this.nextId++;
    const frame = JSON.stringify({ id, method, args } satisfies ApiRequest);
    return new Promise((resolve) => {
      const p: Pending = { method, frame, sent: false, resolve };
      this.pending.set(id, p);
      if (this.socket?.readyState === OPEN) return this.send(id, p);
      p.timer = setTimeout(() => this.settle(id, failure(id, this.unreachable())), this.opts.queueTimeoutMs ?? 15_000);
    });
  }

  onEvent(cb: (event: HostEvent) => void): () => void {
    this.eventListeners.add(cb);
    return () => this.eventListeners.delete(cb);
  }

  onState(cb: (state: ConnectionState) => void): () => void {
    this.stateListeners.add(cb);
    return () => this.stateListeners.delete(cb);
  }

  close(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.socket?.close(1000, 'client closed');
    for (const id of [...this.pending.keys()]) this.settle(id, failure(id, 'the connection to the host was closed'));
  }

  private open(): void {
    this.retryTimer = null;
    const create = this.opts.create ?? ((u: string) => new WebSocket(u) as unknown as SocketLike);
    const ws = create(this.url);
    this.socket = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.setState('open');
      for (const [id, p] of this.pending) if (!p.sent) this.send(id, p);
    };
    ws.onmessage = (ev) => this.receive(ev.data);
    ws.onclose = () => this.lost(ws);
    ws.onerror = () => {}; // a close event always follows
  }

  private lost(ws: SocketLike): void {
    if (ws !== this.socket) return;
    this.socket = null;
    for (const [id, p] of this.pending) {
      if (p.sent)
        this.settle(
          id,
          failure(id, `lost the connection to the host during ${p.method}; it is reconnecting, try again`),
        );
    }
    if (this.closed) return;
    this.setState('down');
    this.retryTimer = setTimeout(() => this.open(), reconnectDelay(this.attempt++, this.opts.random));
  }

  private send(id: number, p: Pending): void {
    if (p.timer) clearTimeout(p.timer);
    p.sent = true;
    try {
      this.socket!.send(p.frame);
    } catch (e) {
      this.settle(id, failure(id, `could not send ${p.method} to the host: ${(e as Error).message}`));
    }
  }

  private receive(data: unknown): void {
    let msg: WireMessage;
    try {
      msg = JSON.parse(typeof data === 'string' ? data : String(data)) as WireMessage;
    } catch {
      return; // not an envelope; ignore rather than break the stream
    }
    if ('event' in msg) {
      for (const cb of this.eventListeners) cb(msg.event);
    } else if (typeof msg.id === 'number') {
      this.settle(msg.id, msg);
    }
  }

  private settle(id: number, r: ApiResponse): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (p.timer) clearTimeout(p.timer);
    p.resolve(r);
  }

  private setState(s: ConnectionState): void {
    if (s === this.state) return;
    this.state = s;
    for (const cb of this.stateListeners) cb(s);
  }

  private unreachable(): string {
    return `cannot reach the host at ${this.url.replace(/\?.*$/, '')}; start it with npm run host and open the address it prints`;
  }
}
