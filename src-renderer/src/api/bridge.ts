/**
 * What the Electron preload exposes on `window.dwswap` (via contextBridge.exposeInMainWorld).
 * Exactly the typed contract of src-main/api.ts, nothing more: one generic request channel
 * answering ApiResponse envelopes, and one event stream. The preload should match this type.
 */
import type { ApiError, ApiResponse, HostEvent, HostMethod } from '../../../src-main/api';

/** `path` is null when the user cancelled the save dialog (same shape as src-main/ipc/report.ts). */
export type PrintPdfResult = { ok: true; path: string | null } | { ok: false; error: ApiError };

export interface PreloadBridge {
  /** Sends one request; resolves with the envelope (errors are `{ ok: false, error }`, not rejections). */
  invoke(method: HostMethod, args: unknown[]): Promise<ApiResponse>;
  /** Subscribes to host events; returns the unsubscribe function. */
  onEvent(cb: (event: HostEvent) => void): () => void;
  /** Desktop only: prints the current page (print stylesheet, A4) to a PDF the user saves. */
  printPdf?(): Promise<PrintPdfResult>;
}

declare global {
  interface Window {
    dwswap?: PreloadBridge;
  }
}

/** Narrows an unknown global to a PreloadBridge (the preload might be missing or stale). */
export function isPreloadBridge(x: unknown): x is PreloadBridge {
  if (typeof x !== 'object' || x === null) return false;
  const b = x as Record<string, unknown>;
  return typeof b.invoke === 'function' && typeof b.onEvent === 'function';
}
