/** A tiny hash router (the app has six flat routes; see lib/route.ts for the URL shapes). */
import { readonly, shallowRef } from 'vue';
import { buildHash, parseHash, type Route, type RouteName } from './lib/route';

const current = shallowRef<Route>(parseHash(location.hash));

/** A bare `#token=…` (how the host may hand over its token) is replaced by the default route. */
function dropTokenHash(): void {
  if (/^#token=/.test(location.hash))
    history.replaceState(null, '', `${location.pathname}${location.search}#/architecture`);
}

export function startRouter(): void {
  dropTokenHash();
  current.value = parseHash(location.hash);
  window.addEventListener('hashchange', () => {
    current.value = parseHash(location.hash);
  });
}

export function useRoute() {
  return readonly(current);
}

export function navigate(name: RouteName, param: string | null = null, query: Record<string, string> = {}): void {
  const hash = buildHash(name, param, query);
  if (location.hash === hash) return;
  location.hash = hash;
}

/** Updates the query of the current route without adding a history entry. */
export function replaceQuery(query: Record<string, string>): void {
  const r = current.value;
  history.replaceState(null, '', buildHash(r.name, r.param, query));
  current.value = parseHash(location.hash);
}
