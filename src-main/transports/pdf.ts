/**
 * "Export PDF" for the headless host: `GET /report.pdf?ids=a,b&ref=a&token=…` renders the
 * renderer's own report page (#/report, the print stylesheet) to an A4 PDF in a headless Chromium
 * driven by playwright-core, and answers it as a download — what the desktop app does with
 * Electron's printToPDF. playwright-core is loaded only when asked for; without it, or without a
 * Chromium, the answer is one line saying what to install (and that the report page prints from
 * the browser too). Library code: nothing here prints.
 */
import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const REPORT_PDF_PATH = '/report.pdf';

/** Chromium binaries tried in order after $DWSWAP_CHROMIUM. */
const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export function findChromium(env: NodeJS.ProcessEnv = process.env): string | null {
  const given = env.DWSWAP_CHROMIUM;
  if (given) return fs.existsSync(given) ? given : null;
  return CHROMIUM_CANDIDATES.find((p) => fs.existsSync(p)) ?? null;
}

export class PdfUnavailable extends Error {}

const HOW =
  'install playwright-core (npm i playwright-core) and a Chromium (e.g. apt install chromium, or set DWSWAP_CHROMIUM=/path/to/chrome); meanwhile open the Report page and print it from the browser (Save as PDF)';

interface PdfPage {
  goto(url: string): Promise<unknown>;
  waitForFunction(fn: string, arg: undefined, opts: { timeout: number }): Promise<unknown>;
  evaluate(fn: string): Promise<unknown>;
  pdf(opts: { format: string; printBackground: boolean }): Promise<Uint8Array>;
}
interface PdfBrowser {
  newPage(opts: { viewport: { width: number; height: number }; bypassCSP: boolean }): Promise<PdfPage>;
  close(): Promise<void>;
}

async function launch(): Promise<PdfBrowser> {
  const exe = findChromium();
  if (!exe) throw new PdfUnavailable(`the host found no Chromium to render the PDF; ${HOW}`);
  let chromium: { launch(o: { executablePath: string; args: string[] }): Promise<PdfBrowser> };
  try {
    ({ chromium } = (await import('playwright-core')) as unknown as { chromium: typeof chromium });
  } catch {
    throw new PdfUnavailable(`the host cannot load playwright-core to render the PDF; ${HOW}`);
  }
  return chromium.launch({ executablePath: exe, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
}

/** Renders `pageUrl` (the report route) to PDF once it says it is ready; throws its error line otherwise. */
export async function renderReportPdf(pageUrl: string, timeoutMs = 60_000): Promise<Uint8Array> {
  const browser = await launch();
  try {
    // The page's CSP forbids evaluating strings; the renderer's own code is unaffected by bypassing it here.
    const page = await browser.newPage({ viewport: { width: 1000, height: 1400 }, bypassCSP: true });
    await page.goto(pageUrl);
    await page.waitForFunction(
      '(() => { const d = document.documentElement.dataset; return d.reportReady === "true" || !!d.reportError; })()',
      undefined,
      { timeout: timeoutMs },
    );
    const error = (await page.evaluate('document.documentElement.dataset.reportError ?? null')) as string | null;
    if (error) throw new Error(`the report could not be made: ${error}`);
    return await page.pdf({ format: 'A4', printBackground: true });
  } finally {
    await browser.close().catch(() => undefined);
  }
}

/** `dwswap-report-2025-11-28.pdf` */
export function pdfFileName(now = new Date()): string {
  return `dwswap-report-${now.toISOString().slice(0, 10)}.pdf`;
}

const IDS = /^[A-Za-z0-9_-]{1,100}(,[A-Za-z0-9_-]{1,100}){0,49}$/;

/** The report route for `ids`/`ref` from the request's query, or a reason to refuse it. */
export function reportRoute(query: URLSearchParams): { hash: string } | { refuse: string } {
  const ids = query.get('ids') ?? '';
  const ref = query.get('ref') ?? '';
  if (!IDS.test(ids)) return { refuse: 'give the runs as ids=<run id>,<run id> (letters, digits, - and _)' };
  if (ref && !ids.split(',').includes(ref)) return { refuse: 'ref must be one of the ids' };
  return { hash: `#/report?ids=${encodeURIComponent(ids)}${ref ? `&ref=${encodeURIComponent(ref)}` : ''}` };
}

export interface PdfRouteOptions {
  accepts(token: string | null): boolean;
  /** The page URL of the app with its token, e.g. `http://127.0.0.1:PORT/?token=T`. */
  appUrl(): string;
  headers(req: IncomingMessage): Record<string, string>;
  render?: typeof renderReportPdf;
}

/** Handles GET /report.pdf; false for any other request (the caller serves it). */
export function handleReportPdf(req: IncomingMessage, res: ServerResponse, o: PdfRouteOptions): boolean {
  const url = new URL(req.url ?? '/', 'http://host.invalid');
  if (url.pathname !== REPORT_PDF_PATH || req.method !== 'GET') return false;
  const say = (status: number, text: string) => {
    res.writeHead(status, {
      ...o.headers(req),
      'Content-Type': 'text/plain; charset=utf-8',
      'Cache-Control': 'no-store',
    });
    res.end(`${text}\n`);
  };
  if (!o.accepts(url.searchParams.get('token'))) {
    say(401, 'missing or wrong token; open the URL the host printed (it ends in ?token=…)');
    return true;
  }
  const route = reportRoute(url.searchParams);
  if ('refuse' in route) {
    say(400, route.refuse);
    return true;
  }
  void queue(() => (o.render ?? renderReportPdf)(`${o.appUrl()}${route.hash}`)).then(
    (pdf) => {
      res.writeHead(200, {
        ...o.headers(req),
        'Content-Type': 'application/pdf',
        'Content-Length': String(pdf.byteLength),
        'Content-Disposition': `attachment; filename="${pdfFileName()}"`,
        'Cache-Control': 'no-store',
      });
      res.end(Buffer.from(pdf));
    },
    (e: unknown) =>
      say(e instanceof PdfUnavailable ? 501 : 500, (e instanceof Error ? e.message : String(e)).split('\n')[0]),
  );
  return true;
}

/** One PDF at a time: each render starts a browser. */
let tail: Promise<unknown> = Promise.resolve();
function queue<T>(job: () => Promise<T>): Promise<T> {
  const run = tail.then(job, job);
  tail = run.catch(() => undefined);
  return run;
}
