/**
 * Builds the renderer alone (for the headless host and browsers): root src-renderer, output
 * out/renderer (electron-vite's default renderer path, so the Electron app and the headless host
 * serve the same files), relative base so it also loads from file://.
 */
import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig, type Plugin } from 'vite';

const root = fileURLToPath(new URL('./src-renderer', import.meta.url));

/** `@contract`: the typed contract in src-main/contract (also in tsconfig*.json, electron.vite.config.ts, vitest.config.ts). */
export const contractAlias = { '@contract': fileURLToPath(new URL('./src-main/contract', import.meta.url)) };

/**
 * The dev server injects CSS as <style> elements (for HMR), which the built app's CSP
 * (style-src 'self') refuses; while serving only, allow inline styles. Builds keep the strict CSP.
 */
export function devCsp(): Plugin {
  return {
    name: 'dwswap-dev-csp',
    apply: 'serve',
    transformIndexHtml: (html) => html.replace("style-src 'self';", "style-src 'self' 'unsafe-inline';"),
  };
}

export default defineConfig({
  root,
  base: './',
  plugins: [vue(), devCsp()],
  resolve: { alias: contractAlias },
  build: {
    outDir: fileURLToPath(new URL('./out/renderer', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 900,
  },
  server: { port: 5173, strictPort: false },
});
