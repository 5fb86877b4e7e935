/**
 * What the Electron preload exposes on `window.dwswap`: the contract's PreloadBridge (the preload's
 * object satisfies the same type), nothing more.
 */
import type { PreloadBridge } from '@contract';

export type { PreloadBridge, PrintPdfResult } from '@contract';

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
