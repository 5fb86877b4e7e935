/**
 * The method list and the Electron IPC channel names: plain values with type-only imports, so the
 * sandboxed preload imports exactly these (and no zod). The transports refuse unlisted methods.
 */
import type { HostMethod } from './wire';

export const HOST_METHODS = [
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
  'exportOnnx',
  'evalOnnx',
  'timeInference',
  'blockLatency',
] as const satisfies readonly HostMethod[];

// Fails to compile when HostApi gains a method this list lacks.
type UnlistedMethod = Exclude<HostMethod, (typeof HOST_METHODS)[number]>;
const everyMethodListed: [UnlistedMethod] extends [never] ? true : UnlistedMethod = true;
void everyMethodListed;

/** Electron IPC channels between the preload and the main process. */
export const INVOKE_CHANNEL = 'dwswap:invoke';
export const EVENT_CHANNEL = 'dwswap:event';
export const PRINT_PDF_CHANNEL = 'dwswap:print-pdf';
