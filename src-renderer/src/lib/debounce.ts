/** Calls `fn` once `ms` after the last call; `cancel()` drops a pending call. */
export function debounce<A extends unknown[]>(
  fn: (...args: A) => void,
  ms: number,
): ((...args: A) => void) & { cancel(): void } {
  let t: ReturnType<typeof setTimeout> | null = null;
  const run = (...args: A) => {
    if (t) clearTimeout(t);
    t = setTimeout(() => {
      t = null;
      fn(...args);
    }, ms);
  };
  return Object.assign(run, {
    cancel() {
      if (t) clearTimeout(t);
      t = null;
    },
  });
}
