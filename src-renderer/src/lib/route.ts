/**
 * Hash routes of the renderer. The app uses hash routing so the same built files work from
 * `file://` (Electron) and from the headless host's static server without server-side rewrites.
 *
 *   #/architecture            the ResNet-50 diagram (default)
 *   #/launch                  the run launcher
 *   #/live, #/live/<id>       the run being watched (or any run, opened from History)
 *   #/history                 all runs
 *   #/compare?ids=a,b&ref=a   comparison of runs
 *   #/report?ids=a,b&ref=a    the printable report only (no navigation), for page.pdf()
 */

export const ROUTE_NAMES = ['architecture', 'launch', 'live', 'history', 'compare', 'report'] as const;
export type RouteName = (typeof ROUTE_NAMES)[number];

export interface Route {
  name: RouteName;
  /** The path segment after the route name, e.g. the run id of `#/live/<id>`. */
  param: string | null;
  query: Record<string, string>;
}

export const DEFAULT_ROUTE: RouteName = 'architecture';

function parseQuery(q: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(q)) out[k] = v;
  return out;
}

/** `#/live/abc?x=1` -> { name: 'live', param: 'abc', query: { x: '1' } }; unknown -> default. */
export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#/, '');
  const [path, q = ''] = raw.split('?', 2) as [string, string?];
  const [first = '', ...rest] = path.split('/').filter(Boolean);
  const name = (ROUTE_NAMES as readonly string[]).includes(first) ? (first as RouteName) : DEFAULT_ROUTE;
  const param = name === first && rest.length > 0 ? decodeURIComponent(rest.join('/')) : null;
  const query = parseQuery(q);
  delete query.token;
  return { name, param, query };
}

/** The inverse of parseHash: buildHash('report', null, { ids: 'a,b' }) -> '#/report?ids=a%2Cb'. */
export function buildHash(name: RouteName, param: string | null = null, query: Record<string, string> = {}): string {
  const path = `#/${name}${param ? `/${encodeURIComponent(param)}` : ''}`;
  const entries = Object.entries(query).filter(([, v]) => v !== '');
  return entries.length ? `${path}?${new URLSearchParams(entries).toString()}` : path;
}

/**
 * The host's access token: `?token=` in the page's query string, or `#token=` in its hash
 * (also `#/route?token=`). Returns null when the page was opened without one.
 */
export function readToken(search: string, hash: string): string | null {
  const fromSearch = new URLSearchParams(search.replace(/^\?/, '')).get('token');
  if (fromSearch) return fromSearch;
  const h = hash.replace(/^#/, '');
  const q = h.includes('?') ? h.slice(h.indexOf('?') + 1) : h;
  return new URLSearchParams(q).get('token') || null;
}

/** Splits the `ids` query value: "a,b,,c" -> ["a","b","c"]. */
export function splitIds(v: string | undefined): string[] {
  return (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The WebSocket endpoint on the page's own host. */
export function socketUrl(loc: { protocol: string; host: string }, token: string | null): string {
  const scheme = loc.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${loc.host}/api${token ? `?token=${encodeURIComponent(token)}` : ''}`;
}
