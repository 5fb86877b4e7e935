/** A transport carries ApiRequest/ApiResponse envelopes and HostEvents; the client sits on top. */
import type { ApiResponse, HostEvent, HostMethod } from '@contract';
import type { PreloadBridge } from './bridge';

/** `connecting`: first attempt; `open`: requests flow; `down`: lost, retrying with backoff. */
export type ConnectionState = 'connecting' | 'open' | 'down';

export interface Transport {
  readonly kind: 'electron' | 'websocket';
  readonly state: ConnectionState;
  request(method: HostMethod, args: unknown[]): Promise<ApiResponse>;
  onEvent(cb: (event: HostEvent) => void): () => void;
  onState(cb: (state: ConnectionState) => void): () => void;
  close(): void;
}

/** Electron: the preload's bridge is always connected (the main process owns the host). */
export class BridgeTransport implements Transport {
  readonly kind = 'electron';
  readonly state: ConnectionState = 'open';

  constructor(private readonly bridge: PreloadBridge) {}

  request(method: HostMethod, args: unknown[]): Promise<ApiResponse> {
    return this.bridge.invoke(method, args);
  }

  onEvent(cb: (event: HostEvent) => void): () => void {
    return this.bridge.onEvent(cb);
  }

  onState(): () => void {
    return () => {};
  }

  close(): void {}
}
