/**
 * Serves the built renderer (out/renderer) for the headless host: only regular files under the
 * static root, GET and HEAD only, `..` segments refused outright, symlinks that lead outside the
 * root refused, content types from the extension, security headers on every answer, and no
 * caching of index.html (hashed files under assets/ are immutable).
 */
import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
};

export function contentType(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The policy of src-renderer/index.html's meta tag, with connect-src narrowed from any ws:/wss:
 * to the page's own host (`host` is the Host header) and frame-ancestors, which only a header
 * can set. Keep the two in step: a browser enforces both, so the stricter of each applies.
 */
export function contentSecurityPolicy(host: string | undefined): string {
  const self = host && /^[A-Za-z0-9.:[\]-]{1,300}$/.test(host) ? ` ws://${host} wss://${host}` : '';
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self'${self}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function securityHeaders(req: IncomingMessage): Record<string, string> {
  return {
    'Content-Security-Policy': contentSecurityPolicy(req.headers.host),
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
}

export type Resolved = { file: string } | { status: 400 | 403 | 404; reason: string };

/** Maps a request target onto a file under `root` (an absolute, resolved path), or refuses it. */
export function resolveStatic(root: string, target: string): Resolved {
  const rawPath = target.split(/[?#]/, 1)[0] ?? '';
  if (!rawPath.startsWith('/')) return { status: 400, reason: 'bad request path' };
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return { status: 400, reason: 'bad percent-encoding in path' };
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return { status: 400, reason: 'bad character in path' };
  const segments = decoded.split('/').slice(1);
  if (segments.some((s) => s === '..' || s === '.')) return { status: 403, reason: 'path leaves the app folder' };
  if (segments.some((s) => s.startsWith('.'))) return { status: 404, reason: 'not found' };
  const rel = decoded === '/' ? 'index.html' : decoded.slice(1);
  const file = path.resolve(root, rel);
  if (!file.startsWith(root + path.sep)) return { status: 403, reason: 'path leaves the app folder' };
  return { file };
}

function cacheControl(root: string, file: string): string {
  const rel = path.relative(root, file).split(path.sep);
  if (rel[0] === 'assets' && rel.length > 1) return 'public, max-age=31536000, immutable';
  return rel.join('/') === 'index.html' ? 'no-store' : 'no-cache';
}

/** An HTTP request handler serving files under `staticDir`. */
export function staticHandler(staticDir: string): (req: IncomingMessage, res: ServerResponse) => void {
  const root = path.resolve(staticDir);
  const realRoot = fs.realpathSync(root);
  return (req, res) => {
    serve(root, realRoot, req, res).catch(() => {
      if (!res.headersSent) plain(req, res, 500, 'internal error');
      else res.destroy();
    });
  };
}

async function serve(root: string, realRoot: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return plain(req, res, 405, 'method not allowed', { Allow: 'GET, HEAD' });
  }
  const target = req.url ?? '/';
  if (/^\/api(?:[/?#]|$)/.test(target))
    return plain(req, res, 426, 'the API speaks WebSocket', { Upgrade: 'websocket' });
  const resolved = resolveStatic(root, target);
  if ('status' in resolved) return plain(req, res, resolved.status, resolved.reason);
  const file = await regularFileInside(realRoot, resolved.file);
  if (!file) return plain(req, res, 404, 'not found');
  res.writeHead(200, {
    ...securityHeaders(req),
    'Content-Type': contentType(resolved.file),
    'Content-Length': String(file.size),
    'Cache-Control': cacheControl(root, resolved.file),
  });
  if (req.method === 'HEAD') return void res.end();
  const stream = fs.createReadStream(file.path);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

/** The real path and size of `file` when it is a regular file whose real path is inside `realRoot`. */
async function regularFileInside(realRoot: string, file: string): Promise<{ path: string; size: number } | null> {
  try {
    const real = await fs.promises.realpath(file);
    if (!real.startsWith(realRoot + path.sep)) return null;
    const stat = await fs.promises.stat(real);
    return stat.isFile() ? { path: real, size: stat.size } : null;
  } catch {
    return null;
  }
}

function plain(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  text: string,
  extra: Record<string, string> = {},
): void {
  const body = `${text}\n`;
  res.writeHead(status, {
    ...securityHeaders(req),
    ...extra,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    'Cache-Control': 'no-store',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}
