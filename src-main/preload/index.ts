/**
 * The preload: exposes exactly `window.dwswap = { invoke, onEvent, printPdf }` to the sandboxed
 * renderer, nothing of Node or of ipcRenderer itself.
 *
 * A sandboxed preload may only require 'electron' (and a few Node built-ins), so this file must
 * bundle to a single CommonJS file without zod: the method list is kept here as a literal that the
 * compiler proves equal to api.ts's HostMethod union, instead of importing HOST_METHODS (whose
 * module pulls in zod). Channel names match src-main/ipc/register.ts and report.ts.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { ApiResponse, HostEvent, HostMethod } from '../api';
import type { PrintPdfResult } from '../ipc/report';

const METHODS = [
  'info',
  'inspect',
  'checkDataset',
  'listRuns',
  'getRun',
  'startRun',
  'cancelRun',
  'resumeRun',
  'renameRun',
  'tagRun',
  'deleteRun',
  'compare',
  'exportRun',
  'importRun',
] as const satisfies readonly HostMethod[];

// Fails to compile when api.ts gains a method this list lacks.
type Missing = Exclude<HostMethod, (typeof METHODS)[number]>;
const everyMethodListed: [Missing] extends [never] ? true : Missing = true;
void everyMethodListed;

const INVOKE_CHANNEL = 'dwswap:invoke';
const EVENT_CHANNEL = 'dwswap:event';
const PRINT_PDF_CHANNEL = 'dwswap:print-pdf';

let nextId = 1;

function failure(id: number, message: string, code: 'bad-input' | 'internal'): ApiResponse {
  return { id, ok: false, error: { code, message } };
}

function errorText(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? 'request failed';
}

const bridge = {
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
