/**
 * JSON for stored metrics. A diverging run produces NaN or Infinity losses, which plain JSON turns
 * into null; these helpers keep them as the strings 'NaN', 'Infinity' and '-Infinity' instead.
 */

const NON_FINITE = new Set(['NaN', 'Infinity', '-Infinity']);

export function encodeJson(value: unknown, space?: number): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v),
    space,
  );
}

export function decodeJson<T>(text: string): T {
  return JSON.parse(text, (_key, v: unknown) => (typeof v === 'string' && NON_FINITE.has(v) ? Number(v) : v)) as T;
}
