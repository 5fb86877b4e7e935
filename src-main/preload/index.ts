/**
 * The preload: exposes exactly `window.dwswap = { invoke, onEvent, printPdf }` to the sandboxed
 * renderer, nothing of Node or of ipcRenderer itself.
 *
 * A sandboxed preload may only require 'electron' (and a few Node built-ins), so this file must
 * bundle to a single CommonJS file without zod: it imports the contract's zod-free modules only
 * (the method list and channel names from methods.ts, types from wire.ts).
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { EVENT_CHANNEL, HOST_METHODS as METHODS, INVOKE_CHANNEL, PRINT_PDF_CHANNEL } from '../contract/methods';
import type { ApiResponse, HostEvent, HostMethod, PreloadBridge, PrintPdfResult } from '../contract/wire';

let nextId = 1;

function failure(id: number, message: string, code: 'bad-input' | 'internal'): ApiResponse {
  return { id, ok: false, error: { code, message } };
}

function errorText(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? 'request failed';
}

const bridge: PreloadBridge = {
  /** One request; always resolves with an ApiResponse envelope (errors are `ok: false`). */
  invoke(method: HostMethod, args: unknown[]): Promise<ApiResponse> {
    const id = nextId++;
    if (!(METHODS as readonly string[]).includes(method)) {
      return Promise.resolve(
        failure(id, `unknown method ${String(method)}; use one of ${METHODS.join(', ')}`, 'bad-input'),
      );
    }
    if (!Array.isArray(args)) return Promise.resolve(failure(id, 'args must be an array', 'bad-input'));
    return ipcRenderer.invoke(INVOKE_CHANNEL, { id, method, args }).then(
      (r: ApiResponse) => r,
      (e: unknown) => failure(id, errorText(e), 'internal'),
    );
  },

  /** Subscribes to host events; returns the unsubscribe function. */
  onEvent(cb: (event: HostEvent) => void): () => void {
    if (typeof cb !== 'function') throw new TypeError('onEvent needs a callback');
    const listener = (_e: IpcRendererEvent, event: HostEvent): void => cb(event);
    ipcRenderer.on(EVENT_CHANNEL, listener);
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, listener);
    };
  },

  /** Saves the current page as a PDF where the user chooses (`path` null = cancelled). */
  printPdf(): Promise<PrintPdfResult> {
    return ipcRenderer.invoke(PRINT_PDF_CHANNEL).then(
      (r: PrintPdfResult) => r,
      (e: unknown): PrintPdfResult => ({ ok: false, error: { code: 'internal', message: errorText(e) } }),
    );
  },
};

contextBridge.exposeInMainWorld('dwswap', bridge);
