/**
 * What the end-to-end test needs around the app: the built renderer, a tiny CIFAR-10 zip, the
 * headless host as its own process (`src-main/serve/main.ts`, exactly what `npm run host` runs:
 * real host, engine in a worker thread, real SQLite), Debian's Chromium driven by playwright-core,
 * polling waits with messages that say what was awaited and what was last seen, and the PDF tools.
 *
 * The host runs as a child process rather than in the test's process so that a restart is a real
 * one: the process ends on SIGTERM (serve.ts's shutdown path) and a new one opens the same data
 * directory.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { makeTinyCifarZip } from '../helpers/tiny-cifar';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
export const VIEWPORT = { width: 1440, height: 900 };
export const RENDERER_DIR = path.join(ROOT, 'out', 'renderer');
export const BUILD_COMMAND = 'npx vite build --config vite.web.config.ts';

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM);
}

// ---------------------------------------------------------------------------------------------
// The built renderer.
// ---------------------------------------------------------------------------------------------

function newestFile(p: string): { file: string; mtimeMs: number } {
  const st = statSync(p);
  if (!st.isDirectory()) return { file: p, mtimeMs: st.mtimeMs };
  let best = { file: p, mtimeMs: 0 };
  for (const name of readdirSync(p)) {
    const n = newestFile(path.join(p, name));
    if (n.mtimeMs > best.mtimeMs) best = n;
  }
  return best;
}

/**
 * Throws (with the command to run) when out/renderer/index.html is missing; returns a warning when
 * a renderer source is newer than the build (the test then runs the old build), else null.
 */
export function checkRendererBuild(): string | null {
  const index = path.join(RENDERER_DIR, 'index.html');
  if (!existsSync(index)) {
    throw new Error(`the renderer is not built (no ${index}); run \`${BUILD_COMMAND}\` before the e2e test`);
  }
  const sources = ['src-renderer', 'src-main/contract', 'vite.web.config.ts'].map((p) =>
    newestFile(path.join(ROOT, p)),
  );
  const newest = sources.reduce((a, b) => (b.mtimeMs > a.mtimeMs ? b : a));
  if (newest.mtimeMs <= statSync(index).mtimeMs) return null;
  return `out/renderer is older than ${path.relative(ROOT, newest.file)}; this run tests the old build (run \`${BUILD_COMMAND}\`)`;
}

// ---------------------------------------------------------------------------------------------
// A scratch folder with a tiny dataset and a data directory for the host.
// ---------------------------------------------------------------------------------------------

export interface Workspace {
  root: string;
  /** The host's --data directory (SQLite database, run folders). */
  dataDir: string;
  /** A CIFAR-10 image-folder zip: 10 classes, `train` and `test` images per class. */
  zip: string;
  train: number;
  test: number;
  cleanup(): void;
}

export function makeWorkspace(perClassTrain = 10, perClassTest = 5): Workspace {
  const root = mkdtempSync(path.join(tmpdir(), 'dwswap-e2e-'));
  const zip = makeTinyCifarZip(root, { perClassTrain, perClassTest });
  return {
    root,
    dataDir: path.join(root, 'data'),
    zip,
    train: perClassTrain,
    test: perClassTest,
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

// ---------------------------------------------------------------------------------------------
// The headless host as a child process.
// ---------------------------------------------------------------------------------------------

export interface HostProcess {
  /** `http://127.0.0.1:<port>/?token=<token>` as the host printed it. */
  url: string;
  origin: string;
  token: string;
  pid: number;
  /** The page URL for a hash route, e.g. at('#/history'). */
  at(hash: string): string;
  /** stdout and stderr so far (for failure messages). */
  output(): string;
  /** SIGTERM, then waits for the exit (SIGKILL after `graceMs`); resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

/** Starts `serve.ts --data <dataDir> --port 0` and resolves once it prints its URL. */
export function startHost(dataDir: string, timeoutMs = 60_000): Promise<HostProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src-main/serve/main.ts', '--data', dataDir, '--port', '0'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } },
  );
  children.add(child);
  let log = '';
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      children.delete(child);
      resolve(code);
    }),
  );
  child.stderr!.on('data', (b: Buffer) => (log += b.toString('utf8')));
  const tail = (): string => log.trim().split('\n').slice(-15).join('\n');

  const stop = async (graceMs = 20_000): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };

  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      void stop(1000);
      reject(new Error(`the host printed no URL within ${timeoutMs / 1000}s; its output:\n${tail()}`));
    }, timeoutMs);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the host exited (code ${code}) before printing its URL; its output:\n${tail()}`));
    });
    child.stdout!.on('data', (b: Buffer) => {
      const text = b.toString('utf8');
      log += text;
      out += text;
      const m = /^(http:\/\/[^\s/]+)\/\?token=(\S+)\r?\n/m.exec(out); // a whole line, not a partial chunk
      if (!m) return;
      clearTimeout(timer);
      const [url, origin, token] = [m[0].trim(), m[1], m[2]];
      resolve({
        url,
        origin,
        token,
        pid: child.pid!,
        at: (hash) => `${url}${hash}`,
        output: tail,
        stop,
      });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Chromium.
// ---------------------------------------------------------------------------------------------

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** Collects what the page reports: uncaught exceptions and console errors. */
export function watchPage(page: Page): { errors: string[]; console: string[] } {
  const seen = { errors: [] as string[], console: [] as string[] };
  page.on('pageerror', (e) => seen.errors.push(`${e.name}: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') seen.console.push(m.text());
  });
  return seen;
}

// ---------------------------------------------------------------------------------------------
// Waiting: poll a probe until it passes; on timeout say what was awaited and what was last seen.
// ---------------------------------------------------------------------------------------------

export async function until<T>(
  what: string,
  probe: () => Promise<T>,
  ok: (value: T) => boolean,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown = null;
  for (;;) {
    try {
      last = await probe();
      lastError = null;
      if (ok(last)) return last;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      const seen = lastError ? `error ${(lastError as Error).message}` : JSON.stringify(last);
      throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}; last seen: ${seen}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** `[data-testid="id"]`. */
export const tid = (id: string): string => `[data-testid="${id}"]`;

/** The trimmed text of the first element matching `selector`, or null when there is none. */
export function textOf(page: Page, selector: string): Promise<string | null> {
  return page.evaluate((s) => document.querySelector(s)?.textContent?.trim().replace(/\s+/g, ' ') ?? null, selector);
}

/** An attribute of the first element matching `selector`, or null. */
export function attrOf(page: Page, selector: string, name: string): Promise<string | null> {
  return page.evaluate(([s, n]) => document.querySelector(s!)?.getAttribute(n!) ?? null, [selector, name]);
}

/** Waits until the text of `selector` satisfies `ok` (a string means equality); returns it. */
export function waitText(
  page: Page,
  selector: string,
  ok: string | RegExp | ((t: string) => boolean),
  what: string,
  timeoutMs?: number,
): Promise<string> {
  const test = typeof ok === 'string' ? (t: string) => t === ok : ok instanceof RegExp ? (t: string) => ok.test(t) : ok;
  return until(
    what,
    () => textOf(page, selector),
    (t): t is string => t !== null && test(t),
    timeoutMs,
  ) as Promise<string>;
}

/** Waits until attribute `name` of `selector` equals `value`. */
export function waitAttr(
  page: Page,
  selector: string,
  name: string,
  value: string | ((v: string) => boolean),
  what: string,
  timeoutMs?: number,
): Promise<string> {
  const test = typeof value === 'string' ? (v: string) => v === value : value;
  return until(
    what,
    () => attrOf(page, selector, name),
    (v): v is string => v !== null && test(v),
    timeoutMs,
  ) as Promise<string>;
}

// ---------------------------------------------------------------------------------------------
// PDF tools (poppler-utils) and screenshots.
// ---------------------------------------------------------------------------------------------

export function hasTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).status === 0;
}

/** The PDF's text in reading order (`pdftotext`), or null without pdftotext. */
export function pdfText(pdf: string): string | null {
  if (!hasTool('pdftotext')) return null;
  const r = spawnSync('pdftotext', [pdf, '-'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`pdftotext failed on ${pdf}: ${r.stderr}`);
  return r.stdout;
}

/** Pages in the PDF (`pdfinfo`), or null without it. */
export function pdfPages(pdf: string): number | null {
  if (!hasTool('pdfinfo')) return null;
  const r = spawnSync('pdfinfo', [pdf], { encoding: 'utf8' });
  const m = /^Pages:\s+(\d+)/m.exec(r.stdout);
  return m ? Number(m[1]) : null;
}

/** Renders page 1 of `pdf` to `png` at 60 dpi; false without pdftoppm. */
export function pdfFirstPageToPng(pdf: string, png: string): boolean {
  if (!hasTool('pdftoppm')) return false;
  const prefix = png.replace(/\.png$/, '');
  const r = spawnSync('pdftoppm', ['-png', '-r', '60', '-f', '1', '-l', '1', '-singlefile', pdf, prefix], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`pdftoppm failed on ${pdf}: ${r.stderr}`);
  return true;
}

/** Screenshots are written only with E2E_SCREENSHOTS=1, so ordinary runs leave docs/ alone. */
export const SCREENSHOTS = process.env.E2E_SCREENSHOTS === '1';
export const SCREENSHOT_DIR = path.join(ROOT, 'docs', 'screenshots');

/**
 * Saves the viewport, scrolled to the top, as docs/screenshots/<name>.png when E2E_SCREENSHOTS=1. Only then it also
 * lets CSS transitions and chart animations finish (a fixed settle, for the picture's sake; the
 * assertions never depend on it).
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (!SCREENSHOTS) return;
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.evaluate(async () => {
    (document.activeElement as HTMLElement | null)?.blur();
    window.scrollTo(0, 0);
    await document.fonts.ready;
  });
  await page.waitForTimeout(1200);
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`) });
}

/** Where a failing test leaves a screenshot of the page (git-ignored). */
export const FAILURE_DIR = path.join(ROOT, 'test-results', 'e2e');
/** Where every run of the suite keeps a screenshot of each view at each size (git-ignored). */
export const VIEWS_DIR = path.join(FAILURE_DIR, 'views');

/** The viewport as test-results/e2e/views/<name>.png (always; cheap), and as docs/screenshots/<name>.png with E2E_SCREENSHOTS=1. */
export async function keepView(page: Page, name: string): Promise<void> {
  mkdirSync(VIEWS_DIR, { recursive: true });
  await page.evaluate(() => {
    (document.activeElement as HTMLElement | null)?.blur();
    window.scrollTo(0, 0);
  });
  await page.screenshot({ path: path.join(VIEWS_DIR, `${name}.png`) });
  await screenshot(page, name);
}

/** Each page's text (pdftotext, pages split at form feeds), or null without pdftotext. */
export function pdfPageTexts(pdf: string): string[] | null {
  const text = pdfText(pdf);
  return text === null ? null : text.split('\f').filter((t, i, all) => i < all.length - 1 || t.trim());
}
