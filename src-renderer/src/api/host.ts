/** The app's one HostClient, set once by main.ts before any store is created. */
import type { HostClient } from './client';

let current: HostClient | null = null;

export function provideHost(client: HostClient): void {
  current = client;
}

export function useHost(): HostClient {
  if (!current) throw new Error('useHost() called before provideHost(); main.ts must connect first');
  return current;
}
