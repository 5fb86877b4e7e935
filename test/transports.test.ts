import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { RunConfigSchema, type HostEvent, type HostService, type WireMessage } from '../src-main/contract';
import { DataError } from '../src-main/engine/data/types';
import { createHost } from '../src-main/host/host';
import { StoreError } from '../src-main/store/errors';
import { dispatch, MAX_REQUEST_BYTES } from '../src-main/transports/dispatch';
import { toApiError } from '../src-main/transports/errors';
import { findChromium, reportRoute } from '../src-main/transports/pdf';
import { resolveStatic } from '../src-main/transports/static';
import { serveHost, type ServedHost } from '../src-main/transports/ws';
import { connect, get } from './helpers/wire';

/** The transport's counterpart: a HostService made of plain functions, events emitted by hand. */
function plainHost(): HostService & { emit(e: HostEvent): void; calls: string[] } {
  const listeners = new Set<(e: HostEvent) => void>();
  const calls: string[] = [];
  const notUsed = (): Promise<never> => Promise.reject(new Error('not used in this test'));
  return {
    calls,
    emit: (e) => listeners.forEach((l) => l(e)),
    onEvent(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    async info() {
      calls.push('info');
      return { appVersion: '0.0.0-test', dataDir: '/nowhere', backend: null, defaultDataset: null };
    },
    inspect: notUsed,
    async checkDataset(path: string) {
      throw new DataError(`no CIFAR-10 at ${path}\n    at loader (data.ts:1:1)`);
    },
    listRuns: async () => [],
    async getRun(id: string) {
      throw new StoreError('not-found', `no run with id ${id}; refresh the run list`);
    },
    async startRun(config) {
      RunConfigSchema.parse(config);
      return { id: 'r1' };
    },
    async cancelRun() {
      throw new TypeError('Cannot read properties of undefined (reading "x")\n    at secret (/home/me/host.ts:3:9)');
    },
    resumeRun: notUsed,
    async renameRun(id: string, name: string) {
      calls.push(`rename ${id} ${name}`);
    },
    tagRun: notUsed,
    deleteRun: notUsed,
    compare: notUsed,
    exportRun: notUsed,
    importRun: notUsed,
    exportOnnx: notUsed,
    evalOnnx: notUsed,
    timeInference: notUsed,
    blockLatency: notUsed,
  };
}

describe('dispatch: envelopes', () => {
  const host = plainHost();

  it('calls the named method with the args and answers ok with its result', async () => {
    expect(await dispatch(host, { id: 7, method: 'renameRun', args: ['r1', 'new name'] })).toEqual({
      id: 7,
      ok: true,
      result: null,
    });
    expect(host.calls).toContain('rename r1 new name');
    const info = await dispatch(host, { id: 8, method: 'info', args: [] });
    expect(info).toMatchObject({ id: 8, ok: true, result: { appVersion: '0.0.0-test' } });
  });

  it('refuses envelopes that are not { id: integer, method: known, args: array }', async () => {
    const bad = async (req: unknown) => {
      const r = await dispatch(host, req);
      expect(r.ok).toBe(false);
      return r.ok ? null : { id: r.id, ...r.error };
    };
    expect(await bad(null)).toMatchObject({ id: -1, code: 'bad-input' });
    expect(await bad([1, 'info', []])).toMatchObject({ id: -1, code: 'bad-input' });
    expect(await bad({ id: '1', method: 'info', args: [] })).toMatchObject({ id: -1, field: 'id' });
    expect(await bad({ id: 1.5, method: 'info', args: [] })).toMatchObject({ id: -1, field: 'id' });
    expect(await bad({ id: 2, method: 'constructor', args: [] })).toMatchObject({ id: 2, field: 'method' });
    expect(await bad({ id: 3, method: 'onEvent', args: [] })).toMatchObject({ id: 3, field: 'method' });
    expect(await bad({ id: 3, method: 'close', args: [] })).toMatchObject({ id: 3, field: 'method' });
    expect(await bad({ id: 4, method: 'info', args: {} })).toMatchObject({ id: 4, field: 'args' });
    expect(await bad({ id: 5, method: 'info', args: [1] })).toMatchObject({ id: 5, field: 'args' });
    expect(await bad({ id: 5, method: 'exportRun', args: ['r1', '/x.dwrun', true, 1] })).toMatchObject({
      id: 5,
      field: 'args',
    });
    expect(await bad({ id: 5, method: 'importRun', args: ['/x.dwrun', 1] })).toMatchObject({ id: 5, field: 'args' });
    expect(await bad({ id: 6, method: 'getRun', args: [1n] })).toMatchObject({ id: 6, field: 'args' });
    expect(host.calls).not.toContain('constructor');
  });

  it('refuses requests over the size limit before calling the host', async () => {
    const r = await dispatch(host, { id: 9, method: 'renameRun', args: ['r1', 'x'.repeat(MAX_REQUEST_BYTES)] });
    expect(r).toMatchObject({ id: 9, ok: false, error: { code: 'bad-input', field: 'args' } });
    expect(host.calls.filter((c) => c.startsWith('rename r1 xxx'))).toHaveLength(0);
  });
});

describe('dispatch: errors become one-line ApiErrors', () => {
  const host = plainHost();

  it('maps a zod error to bad-input naming the first issue field', async () => {
    const r = await dispatch(host, {
      id: 1,
      method: 'startRun',
      args: [{ protocol: 'baseline', data: { path: 'x' }, epochs: 0, batchSize: 8 }],
    });
    expect(r).toEqual({
      id: 1,
      ok: false,
      error: { code: 'bad-input', field: 'epochs', message: 'epochs: epochs must be at least 1' },
    });
  });

  it('keeps the code of store/host errors and maps DataError to bad-input, first line only', async () => {
    expect(await dispatch(host, { id: 2, method: 'getRun', args: ['zz'] })).toMatchObject({
      ok: false,
      error: { code: 'not-found', message: 'no run with id zz; refresh the run list' },
    });
    expect(await dispatch(host, { id: 3, method: 'checkDataset', args: ['/d'] })).toEqual({
      id: 3,
      ok: false,
      error: { code: 'bad-input', message: 'no CIFAR-10 at /d' },
    });
  });

  it('turns anything else into internal without a stack trace', async () => {
    const r = await dispatch(host, { id: 4, method: 'cancelRun', args: ['r1'] });
    expect(r).toEqual({
      id: 4,
      ok: false,
      error: { code: 'internal', message: 'Cannot read properties of undefined (reading "x")' },
    });
    expect(toApiError('plain string')).toEqual({ code: 'internal', message: 'plain string' });
    expect(toApiError(Object.assign(new Error('taken'), { code: 'conflict', field: 'name' }))).toEqual({
      code: 'conflict',
      message: 'taken',
      field: 'name',
    });
    expect(toApiError(Object.assign(new Error('disk'), { code: 'ENOSPC' })).code).toBe('internal');
  });
});

describe('static paths', () => {
  const root = '/srv/app';
  it('maps / to index.html and refuses .. segments, encoded or not', () => {
    expect(resolveStatic(root, '/')).toEqual({ file: '/srv/app/index.html' });
    expect(resolveStatic(root, '/assets/a.js?v=1')).toEqual({ file: '/srv/app/assets/a.js' });
    for (const p of ['/../etc/passwd', '/assets/../../x', '/%2e%2e/x', '/a/%2E%2E%2Fb', '/./index.html']) {
      expect(resolveStatic(root, p)).toMatchObject({ status: 403 });
    }
    expect(resolveStatic(root, '/a%5c..%5cb')).toMatchObject({ status: 400 });
    expect(resolveStatic(root, '/%zz')).toMatchObject({ status: 400 });
    expect(resolveStatic(root, '/.env')).toMatchObject({ status: 404 });
  });
});

function nextMessage(ws: WebSocket): Promise<WireMessage> {
  return new Promise((resolve) => ws.once('message', (d) => resolve(JSON.parse(String(d)) as WireMessage)));
}

describe('WebSocket transport and static server', () => {
  const host = plainHost();
  let dir: string;
  let served: ServedHost;
  let apiUrl: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dwswap-ws-'));
    const staticDir = join(dir, 'renderer');
    mkdirSync(join(staticDir, 'assets'), { recursive: true });
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>dwswap</title>');
    writeFileSync(join(staticDir, 'assets', 'app-1a2b.js'), 'console.log(1)');
    writeFileSync(join(dir, 'secret.txt'), 'do not serve');
    symlinkSync(join(dir, 'secret.txt'), join(staticDir, 'leak.txt'));
    served = await serveHost(host, { staticDir, port: 0, token: 'test-token-0123456789' });
    apiUrl = `ws://127.0.0.1:${served.port}/api?token=${served.token}`;
  });

  afterAll(async () => {
    await served?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives a loopback URL carrying the token', () => {
    expect(served.url).toBe(`http://127.0.0.1:${served.port}/?token=test-token-0123456789`);
    expect(served.remote).toBe(false);
  });

  it('serves index.html for / uncached, with the security headers', async () => {
    const r = await get(served.port, '/');
    expect(r.status).toBe(200);
    expect(r.body).toContain('<title>dwswap</title>');
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['content-security-policy']).toContain("default-src 'self'");
    expect(r.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  });

  it('answers /report.pdf only with the token and runs named by id, each refusal in one line', async () => {
    const noToken = await get(served.port, '/report.pdf?ids=a,b');
    expect(noToken.status).toBe(401);
    expect(noToken.body).toMatch(/^missing or wrong token; open the URL the host printed/);
    const badIds = await get(served.port, `/report.pdf?ids=../x&token=${served.token}`);
    expect(badIds).toMatchObject({
      status: 400,
      body: 'give the runs as ids=<run id>,<run id> (letters, digits, - and _)\n',
    });
    const badRef = await get(served.port, `/report.pdf?ids=a,b&ref=c&token=${served.token}`);
    expect(badRef).toMatchObject({ status: 400, body: 'ref must be one of the ids\n' });
    expect(reportRoute(new URLSearchParams('ids=a1,b-2&ref=b-2'))).toEqual({ hash: '#/report?ids=a1%2Cb-2&ref=b-2' });
  });

  it('finds no Chromium where $DWSWAP_CHROMIUM names a missing file', () => {
    expect(findChromium({ DWSWAP_CHROMIUM: join(dir, 'no-such-chrome') })).toBeNull();
  });

  it('serves built assets with their content type, HEAD without a body', async () => {
    const js = await get(served.port, '/assets/app-1a2b.js');
    expect(js).toMatchObject({ status: 200, body: 'console.log(1)' });
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toContain('immutable');
    const head = await get(served.port, '/', 'HEAD');
    expect(head).toMatchObject({ status: 200, body: '' });
    expect((await get(served.port, '/', 'POST')).status).toBe(405);
    expect((await get(served.port, '/missing.js')).status).toBe(404);
  });

  it('refuses paths that leave the static folder, including through a symlink', async () => {
    for (const p of ['/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt']) {
      const r = await get(served.port, p);
      expect(r.status, p).toBe(403);
      expect(r.body).not.toContain('do not serve');
    }
    const link = await get(served.port, '/leak.txt');
    expect(link.status).toBe(404);
    expect(link.body).not.toContain('do not serve');
  });

  it('refuses a missing or forged token with 401 and no socket', async () => {
    expect(await connect(`ws://127.0.0.1:${served.port}/api`)).toBe(401);
    expect(await connect(`ws://127.0.0.1:${served.port}/api?token=test-token-0123456780`)).toBe(401);
    expect(await connect(`ws://127.0.0.1:${served.port}/api?token=short`)).toBe(401);
    expect(await connect(`ws://127.0.0.1:${served.port}/other?token=${served.token}`)).toBe(404);
  });

  it("refuses a foreign Origin with 403 and accepts the server's own", async () => {
    expect(await connect(apiUrl, 'http://evil.example')).toBe(403);
    expect(await connect(apiUrl, `http://evil.example:${served.port}`)).toBe(403);
    expect(await connect(apiUrl, 'null')).toBe(403);
    const own = await connect(apiUrl, `http://localhost:${served.port}`);
    expect(own).toBeInstanceOf(WebSocket);
    (own as WebSocket).close();
  });

  it('answers a request and broadcasts host events to every client', async () => {
    const a = (await connect(apiUrl, `http://127.0.0.1:${served.port}`)) as WebSocket;
    const b = (await connect(apiUrl)) as WebSocket;
    const answer = nextMessage(a);
    a.send(JSON.stringify({ id: 41, method: 'info', args: [] }));
    expect(await answer).toMatchObject({ id: 41, ok: true, result: { appVersion: '0.0.0-test' } });

    const bad = nextMessage(a);
    a.send('{not json');
    expect(await bad).toMatchObject({ id: -1, ok: false, error: { code: 'bad-input' } });

    const event: HostEvent = { type: 'status', runId: 'r1', status: 'running', reason: null };
    const [ea, eb] = [nextMessage(a), nextMessage(b)];
    host.emit(event);
    expect(await ea).toEqual({ event });
    expect(await eb).toEqual({ event });
    a.close();
    b.close();
  });

  it('closes a socket that sends more than the payload limit', async () => {
    const ws = (await connect(apiUrl)) as WebSocket;
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send('x'.repeat(1024 * 1024 + 1));
    expect(await closed).toBe(1009);
  });
});

/** Sends one request on `ws` and waits for the answer with the same id (events are skipped). */
function call(ws: WebSocket, id: number, method: string, args: unknown[]): Promise<WireMessage> {
  return new Promise((resolve) => {
    const onMessage = (d: unknown): void => {
      const m = JSON.parse(String(d)) as WireMessage;
      if ('id' in m && m.id === id) {
        ws.off('message', onMessage);
        resolve(m);
      }
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ id, method, args }));
  });
}

describe('WebSocket round trip with the real host', () => {
  let dir: string;
  let host: Awaited<ReturnType<typeof createHost>>;
  let served: ServedHost;
  let ws: WebSocket;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dwswap-real-'));
    const staticDir = join(dir, 'renderer');
    mkdirSync(staticDir);
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html>');
    host = await createHost({ dataDir: join(dir, 'data') });
    served = await serveHost(host, { staticDir });
    ws = (await connect(`ws://127.0.0.1:${served.port}/api?token=${served.token}`)) as WebSocket;
  });

  afterAll(async () => {
    ws?.close();
    await served?.close();
    await host?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers info and inspect through the socket', async () => {
    const info = await call(ws, 1, 'info', []);
    expect(info).toMatchObject({ id: 1, ok: true, result: { dataDir: join(dir, 'data') } });
    const inspect = await call(ws, 2, 'inspect', [{ widthDivisor: 16 }]);
    expect(inspect).toMatchObject({ id: 2, ok: true });
    const result = (inspect as { result: { blocks: unknown[]; totalParams: number; model: { widthDivisor: number } } })
      .result;
    expect(result.blocks).toHaveLength(16);
    expect(result.model.widthDivisor).toBe(16);
    expect(result.totalParams).toBeGreaterThan(0);
  });

  it("carries the host's errors as ApiErrors", async () => {
    expect(await call(ws, 3, 'inspect', [{ widthDivisor: 0 }])).toMatchObject({
      id: 3,
      ok: false,
      error: { code: 'bad-input', field: 'widthDivisor' },
    });
    expect(await call(ws, 4, 'getRun', ['no-such-run'])).toMatchObject({
      id: 4,
      ok: false,
      error: { code: 'not-found' },
    });
  });
});

describe('serveHost options', () => {
  it('refuses a non-loopback address without allowRemote, and weak tokens', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dwswap-ws-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html>');
    await expect(serveHost(plainHost(), { staticDir: dir, host: '0.0.0.0' })).rejects.toThrow(/allowRemote/);
    await expect(serveHost(plainHost(), { staticDir: dir, token: 'abc' })).rejects.toThrow(/token/);
    await expect(serveHost(plainHost(), { staticDir: join(dir, 'none') })).rejects.toThrow(/build:web/);
    rmSync(dir, { recursive: true, force: true });
  });
});
