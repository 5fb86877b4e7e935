import { describe, expect, it } from 'vitest';
import { buildHash, parseHash, readToken, socketUrl, splitIds } from '../../src-renderer/src/lib/route';
import { reconnectDelay } from '../../src-renderer/src/api/backoff';

describe('hash routes', () => {
  it('parses a route, its parameter and its query', () => {
    expect(parseHash('#/live/run-1?x=1')).toEqual({ name: 'live', param: 'run-1', query: { x: '1' } });
    expect(parseHash('#/report?ids=a,b&ref=a')).toEqual({
      name: 'report',
      param: null,
      query: { ids: 'a,b', ref: 'a' },
    });
  });

  it('falls back to the architecture view for empty or unknown hashes', () => {
    expect(parseHash('').name).toBe('architecture');
    expect(parseHash('#/nope').name).toBe('architecture');
    expect(parseHash('#token=abc').name).toBe('architecture');
  });

  it('never exposes the token as a route query parameter', () => {
    expect(parseHash('#/history?token=s3cret').query).toEqual({});
  });

  it('round-trips buildHash through parseHash', () => {
    const h = buildHash('report', null, { ids: 'a,b', ref: 'a' });
    expect(parseHash(h).query).toEqual({ ids: 'a,b', ref: 'a' });
    expect(buildHash('live', 'x/y')).toBe('#/live/x%2Fy');
    expect(parseHash(buildHash('live', 'x/y')).param).toBe('x/y');
  });

  it('splits id lists', () => {
    expect(splitIds('a, b,,c')).toEqual(['a', 'b', 'c']);
    expect(splitIds(undefined)).toEqual([]);
  });
});

describe('host address', () => {
  it('reads the token from ?token=, #token= or a route query', () => {
    expect(readToken('?token=abc', '')).toBe('abc');
    expect(readToken('', '#token=def')).toBe('def');
    expect(readToken('', '#/report?ids=a&token=ghi')).toBe('ghi');
    expect(readToken('?x=1', '#/history')).toBeNull();
  });

  it('builds ws:// or wss:// on the page host', () => {
    expect(socketUrl({ protocol: 'http:', host: 'localhost:5173' }, 'a b')).toBe('ws://localhost:5173/api?token=a%20b');
    expect(socketUrl({ protocol: 'https:', host: 'h' }, null)).toBe('wss://h/api');
  });

  it('backs off exponentially with jitter, capped', () => {
    expect(reconnectDelay(0, () => 1)).toBe(500);
    expect(reconnectDelay(3, () => 1)).toBe(4000);
    expect(reconnectDelay(20, () => 1)).toBe(10_000);
    expect(reconnectDelay(0, () => 0)).toBe(400);
  });
});
