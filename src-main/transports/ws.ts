/**
 * The headless host's transport: one node:http server that serves the built renderer and
 * upgrades `/api?token=…` to a WebSocket speaking the WireMessage envelopes of api.ts; GET
 * `/report.pdf?ids=…&token=…` renders the report to PDF (pdf.ts).
 *
 * An upgrade needs the token (compared in constant time) and, when the client sends an Origin
 * (browsers always do), one of the server's own origins: a page from another site, or a DNS
 * rebinding of one, gets 403 and no socket. Listening on anything but loopback needs
 * `allowRemote`. Library code: nothing here prints; the caller shows `url`.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import http, { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { ApiResponse, HostEvent, HostService, WireMessage } from '../contract';
import { dispatch, NO_ID } from './dispatch';
import { handleReportPdf } from './pdf';
import { securityHeaders, staticHandler } from './static';

export interface ServeOptions {
  /** 0 (default) = any free port. */
  port?: number;
  /** Address to listen on; default 127.0.0.1. Anything not loopback needs `allowRemote`. */
  host?: string;
  /** Access token; default 32 random bytes in hex. At least 16 URL-safe characters. */
  token?: string;
  /** The built renderer (out/renderer); must hold index.html. */
  staticDir: string;
  /** Opt-in to listening on a non-loopback address. */
  allowRemote?: boolean;
  /** Extra origins allowed to open the socket, e.g. `https://lab.example.org` behind a proxy. */
  origins?: string[];
  /** Largest WebSocket message accepted, in bytes (default 1 MiB). */
  maxPayload?: number;
}

export interface ServedHost {
  /** `http://<host>:<port>/?token=<token>`: open this in a browser. */
  url: string;
  port: number;
  host: string;
  token: string;
  /** True when listening on a non-loopback address (the caller may want to warn). */
  remote: boolean;
  close(): Promise<void>;
}

export const DEFAULT_MAX_PAYLOAD = 1024 * 1024;
const HEARTBEAT_MS = 30_000;
/** A client this far behind stops receiving progress events until it catches up. */
const SLOW_CLIENT_BYTES = 4 * 1024 * 1024;

export function isLoopback(address: string): boolean {
  const a = address.toLowerCase().replace(/^\[|\]$/g, '');
  return a === 'localhost' || a === '::1' || /^127(?:\.\d{1,3}){3}$/.test(a) || a === '::ffff:127.0.0.1';
}

export async function serveHost(host: HostService, opts: ServeOptions): Promise<ServedHost> {
  const bind = opts.host ?? '127.0.0.1';
  const remote = !isLoopback(bind);
  if (remote && !opts.allowRemote) {
    throw new Error(
      `refusing to listen on ${bind}: other machines could reach the host; use 127.0.0.1, or opt in with allowRemote (--allow-remote)`,
    );
  }
  const token = opts.token ?? randomBytes(32).toString('hex');
  if (!/^[A-Za-z0-9._~-]{16,256}$/.test(token)) {
    throw new Error('token must be 16 to 256 URL-safe characters (letters, digits, . _ ~ -); omit it for a random one');
  }
  const staticDir = path.resolve(opts.staticDir);
  if (!fs.existsSync(path.join(staticDir, 'index.html'))) {
    throw new Error(`no index.html in ${staticDir}; build the renderer first (npm run build:web)`);
  }

  const files = staticHandler(staticDir);
  const accepts = tokenChecker(token);
  // The PDF renderer opens the app itself, over loopback, with the token.
  const self = ['0.0.0.0', '::', ''].includes(bind) ? '127.0.0.1' : bind.includes(':') ? `[${bind}]` : bind;
  const appUrl = () => `http://${self}:${port}/?token=${token}`;
  const server = http.createServer((req, res) => {
    if (!handleReportPdf(req, res, { accepts, appUrl, headers: securityHeaders })) files(req, res);
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxPayload ?? DEFAULT_MAX_PAYLOAD });
  const port = await listen(server, opts.port ?? 0, bind);
  const origins = ownOrigins(bind, port, opts.origins ?? []);

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const refusal = checkUpgrade(req, accepts, origins);
    if (refusal) return refuseUpgrade(socket, refusal.status, refusal.reason);
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  wss.on('connection', (ws: WebSocket) => onConnection(host, ws));

  const unsubscribe = host.onEvent((event) => broadcast(wss, event));
  const heartbeat = setInterval(() => pingAll(wss), HEARTBEAT_MS);
  heartbeat.unref();

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      unsubscribe();
      clearInterval(heartbeat);
      await closeClients(wss);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    })();
    return closing;
  };

  const shown = bind.includes(':') ? `[${bind}]` : bind;
  const url = `http://${shown}:${port}/?token=${token}`;
  return { url, port, host: bind, token, remote, close };
}

function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      const why =
        e.code === 'EADDRINUSE' ? `port ${port} is in use; pick another or use 0 for any free port` : e.message;
      reject(new Error(`cannot listen on ${host}:${port}: ${why}`));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** The origins a page served by this server can have (lower case, no trailing slash). */
export function ownOrigins(bind: string, port: number, extra: string[]): Set<string> {
  const names = new Set<string>();
  const wildcard = bind === '0.0.0.0' || bind === '::' || bind === '';
  if (isLoopback(bind) || wildcard) ['127.0.0.1', 'localhost', '::1'].forEach((n) => names.add(n));
  if (!wildcard) names.add(bind);
  if (wildcard) {
    names.add(os.hostname());
    for (const list of Object.values(os.networkInterfaces())) {
      for (const a of list ?? []) names.add(a.address.split('%')[0] ?? a.address);
    }
  }
  const origins = new Set<string>();
  for (const n of names) origins.add(`http://${n.includes(':') ? `[${n}]` : n}:${port}`.toLowerCase());
  for (const o of extra) origins.add(o.replace(/\/+$/, '').toLowerCase());
  return origins;
}

function tokenChecker(token: string): (given: string | null) => boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
  const expected = digest(token);
  return (given) => given !== null && timingSafeEqual(digest(given), expected);
}

type Refusal = { status: 401 | 403 | 404; reason: string };

function checkUpgrade(
  req: IncomingMessage,
  accepts: (t: string | null) => boolean,
  origins: Set<string>,
): Refusal | null {
  const url = new URL(req.url ?? '/', 'http://host.invalid');
  if (url.pathname !== '/api') return { status: 404, reason: 'the API is at /api' };
  if (!accepts(url.searchParams.get('token'))) {
    return { status: 401, reason: 'missing or wrong token; open the URL the host printed (it ends in ?token=…)' };
  }
  const origin = req.headers.origin;
  if (origin !== undefined && !origins.has(origin.toLowerCase())) {
    return { status: 403, reason: `origin ${origin.slice(0, 100)} may not use this host` };
  }
  return null;
}

function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  const body = `${reason}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
      'Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

const alive = new WeakSet<WebSocket>();

function onConnection(host: HostService, ws: WebSocket): void {
  alive.add(ws);
  ws.on('pong', () => alive.add(ws));
  ws.on('error', () => ws.terminate());
  ws.on('message', (data: RawData, isBinary: boolean) => {
    void answer(host, ws, data, isBinary);
  });
}

async function answer(host: HostService, ws: WebSocket, data: RawData, isBinary: boolean): Promise<void> {
  if (isBinary) return send(ws, badInput(NO_ID, 'send requests as JSON text frames'));
  let req: unknown;
  try {
    req = JSON.parse(rawText(data));
  } catch {
    return send(ws, badInput(NO_ID, 'request is not valid JSON'));
  }
  send(ws, await dispatch(host, req));
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
}

function badInput(id: number, message: string): ApiResponse {
  return { id, ok: false, error: { code: 'bad-input', message } };
}

function send(ws: WebSocket, msg: WireMessage): void {
  if (ws.readyState !== WebSocket.OPEN) return;
  let text: string;
  try {
    text = JSON.stringify(msg);
  } catch {
    const id = 'id' in msg ? msg.id : NO_ID;
    text = JSON.stringify({
      id,
      ok: false,
      error: { code: 'internal', message: 'the result could not be sent as JSON' },
    });
  }
  ws.send(text);
}

function broadcast(wss: WebSocketServer, event: HostEvent): void {
  const text = JSON.stringify({ event } satisfies WireMessage);
  for (const ws of wss.clients) {
    if (ws.readyState !== WebSocket.OPEN) continue;
    if (event.type === 'progress' && ws.bufferedAmount > SLOW_CLIENT_BYTES) continue;
    ws.send(text);
  }
}

function pingAll(wss: WebSocketServer): void {
  for (const ws of wss.clients) {
    if (!alive.has(ws)) {
      ws.terminate();
      continue;
    }
    alive.delete(ws);
    ws.ping();
  }
}

/** Says goodbye to every client, then cuts the ones that have not closed within a second. */
async function closeClients(wss: WebSocketServer): Promise<void> {
  const clients = [...wss.clients];
  const closed = clients.map((ws) => new Promise<void>((resolve) => ws.once('close', () => resolve())));
  for (const ws of clients) ws.close(1001, 'host shutting down');
  const timer = new Promise<void>((resolve) => setTimeout(resolve, 1000).unref());
  await Promise.race([Promise.all(closed), timer]);
  for (const ws of wss.clients) ws.terminate();
}
