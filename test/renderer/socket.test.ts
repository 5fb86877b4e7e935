/**
 * The WebSocket transport and HostClient against a real `ws` server speaking the envelopes of
 * src-main/contract (the browser's WebSocket and the `ws` client share the interface used here).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import type { ApiRequest, ApiResponse, HostEvent } from '../../src-main/contract';
import { HostClient, HostError } from '../../src-renderer/src/api/client';
import { SocketTransport, type SocketLike } from '../../src-renderer/src/api/socket';

type Handler = (req: ApiRequest) => ApiResponse | null;
const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

async function server(handler: Handler, port = 0): Promise<{ wss: WebSocketServer; url: string; port: number }> {
  const wss = new WebSocketServer({ port });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  wss.on('connection', (ws) => {
    ws.on('message', (data) => {
      const res = handler(JSON.parse(String(data)) as ApiRequest);
      if (res) ws.send(JSON.stringify(res));
    });
  });
  const p = (wss.address() as { port: number }).port;
  cleanups.push(() => wss.close());
  return { wss, url: `ws://127.0.0.1:${p}/api?token=t`, port: p };
}

function transport(url: string, queueTimeoutMs = 2000): SocketTransport {
  const t = new SocketTransport(url, {
    create: (u) => new WebSocket(u) as unknown as SocketLike,
    queueTimeoutMs,
    random: () => 0,
  });
  cleanups.push(() => t.close());
  return t;
}

describe('SocketTransport + HostClient', () => {
  it('sends ApiRequest envelopes and resolves results by id', async () => {
    const seen: ApiRequest[] = [];
    const { url } = await server((req) => {
      seen.push(req);
      return { id: req.id, ok: true, result: req.method === 'checkDataset' ? { ok: true, path: req.args[0] } : [] };
    });
    const client = new HostClient(transport(url));
    const [runs, check] = await Promise.all([client.listRuns(), client.checkDataset('/d')]);
    expect(runs).toEqual([]);
    expect(check).toMatchObject({ ok: true, path: '/d' });
    expect(seen.map((r) => [r.method, r.args])).toEqual([
      ['listRuns', []],
      ['checkDataset', ['/d']],
    ]);
  });

  it('drops trailing undefined arguments (compare without a reference)', async () => {
    const seen: ApiRequest[] = [];
    const { url } = await server((req) => (seen.push(req), { id: req.id, ok: true, result: null }));
    await new HostClient(transport(url)).compare(['a', 'b']);
    expect(seen[0].args).toEqual([['a', 'b']]);
  });

  it('throws an ApiError as a HostError with its one-line message and field', async () => {
    const { url } = await server((req) => ({
      id: req.id,
      ok: false,
      error: { code: 'bad-input', message: 'batch size too large', field: 'batchSize' },
    }));
    const err = await new HostClient(transport(url))
      .startRun({ protocol: 'baseline', data: { path: 'x' }, epochs: 1, batchSize: 9999 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostError);
    expect(err).toMatchObject({ message: 'batch size too large', field: 'batchSize', code: 'bad-input' });
  });

  it('delivers host events to every listener', async () => {
    const { wss, url } = await server(() => null);
    const t = transport(url);
    const got: HostEvent[] = [];
    new HostClient(t).onEvent((e) => got.push(e));
    await new Promise<void>((r) => t.onState((s) => s === 'open' && r()));
    const event: HostEvent = { type: 'status', runId: 'r1', status: 'done', reason: null };
    for (const c of wss.clients) c.send(JSON.stringify({ event }));
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toEqual([event]);
  });

  it('fails a request with a how-to message when the host cannot be reached', async () => {
    const t = transport('ws://127.0.0.1:1/api?token=t', 200);
    const err = await new HostClient(t).info().catch((e: unknown) => e);
    expect((err as Error).message).toMatch(
      /cannot reach the host at ws:\/\/127\.0\.0\.1:1\/api; start it with npm run host/,
    );
    expect((err as Error).message).not.toMatch(/token/);
    expect(t.state).toBe('down');
  });

  it('reconnects after the host restarts, and queued requests go through', async () => {
    const answer: Handler = (req) => ({
      id: req.id,
      ok: true,
      result: { appVersion: '1', dataDir: '', backend: null, defaultDataset: null },
    });
    const first = await server(answer);
    const t = transport(first.url, 5000);
    const client = new HostClient(t);
    let reconnected = 0;
    client.onReconnect(() => reconnected++);
    await client.info();
    for (const c of first.wss.clients) c.terminate();
    first.wss.close();
    await new Promise<void>((r) => t.onState((s) => s === 'down' && r()));
    const pending = client.info();
    await server(answer, first.port);
    await expect(pending).resolves.toMatchObject({ appVersion: '1' });
    expect(reconnected).toBe(1);
  });
});
