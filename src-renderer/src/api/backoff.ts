/**
 * Reconnect delay for the WebSocket transport: exponential from `baseMs`, capped at `maxMs`, with
 * up to 20% jitter so many windows do not reconnect in lockstep. `attempt` counts from 0.
 */
export function reconnectDelay(
  attempt: number,
  random: () => number = Math.random,
  baseMs = 500,
  maxMs = 10_000,
): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt));
  return Math.round(exp * (0.8 + 0.2 * random()));
}
