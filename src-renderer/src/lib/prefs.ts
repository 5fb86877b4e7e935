/** Small preferences kept in localStorage (convenience only: failures are ignored). */

/** Reads a JSON value from localStorage, falling back when absent, unreadable or of another type. */
export function loadPref<T>(
  key: string,
  fallback: T,
  storage: Pick<Storage, 'getItem'> | undefined = globalThis.localStorage,
): T {
  try {
    const raw = storage?.getItem(key);
    if (raw == null) return fallback;
    const v = JSON.parse(raw) as unknown;
    return typeof v === typeof fallback ? (v as T) : fallback;
  } catch {
    return fallback;
  }
}

export function savePref(
  key: string,
  value: unknown,
  storage: Pick<Storage, 'setItem'> | undefined = globalThis.localStorage,
): void {
  try {
    storage?.setItem(key, JSON.stringify(value));
  } catch {
    // storage full or disabled: preferences are a convenience, not state
  }
}
