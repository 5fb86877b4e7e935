/**
 * The README's screenshots from a run store: serves the built renderer with the headless host over
 * `--store` (e.g. the `data` folder `npm run reproduce` filled), opens every view in Debian's
 * Chromium at a desktop and a narrow size, and writes docs/screenshots/<view>.png and
 * <view>-narrow.png, plus report-pdf.png (page 1 of the PDF the host renders for Export PDF).
 *
 *   npm run build:web && npx tsx scripts/screenshots.ts --store data [--out docs/screenshots]
 *        [--ids ID,ID,...] [--ref ID] [--live ID] [--pdf FILE]
 *
 * Without --ids it compares every finished run in the store, the oldest baseline as reference;
 * without --live it shows the compared greedy run (else the newest). Each view is checked as the
 * e2e suite checks it (no table past its card, no chart labels overlapping); problems are listed.
 * The host takes the store's lock: stop any other workbench on it first.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import * as h from '../test/e2e/harness';
import * as v from '../test/e2e/views';

const { values } = parseArgs({
  options: {
    store: { type: 'string' },
    out: { type: 'string', default: path.join(h.ROOT, 'docs', 'screenshots') },
    ids: { type: 'string' },
    ref: { type: 'string' },
    live: { type: 'string' },
    pdf: { type: 'string' },
  },
});
if (!values.store) {
  console.error(
    'usage: npx tsx scripts/screenshots.ts --store DIR [--out DIR] [--ids ID,ID] [--ref ID] [--live ID] [--pdf FILE]',
  );
  process.exit(2);
}
const OUT = path.resolve(values.out!);
const problems: string[] = [];

/** Both sizes of the view now on screen, once its charts have settled. */
async function capture(page: Page, name: string): Promise<void> {
  for (const [size, vp] of Object.entries(v.VIEWPORTS)) {
    await page.setViewportSize(vp);
    const seen = await h
      .until(
        `${name} at ${size}`,
        () => v.layoutProblems(page),
        (p) => p.length === 0,
        5_000,
        250,
      )
      .catch(async () => v.layoutProblems(page));
    problems.push(...seen.map((p) => `${name} (${vp.width}x${vp.height}): ${p}`));
    await page.evaluate(() => {
      (document.activeElement as HTMLElement | null)?.blur();
      window.scrollTo(0, 0);
    });
    await page.waitForTimeout(1200); // chart animations, for the picture's sake
    const file = path.join(OUT, size === 'desktop' ? `${name}.png` : `${name}-${size}.png`);
    await page.screenshot({ path: file });
    console.log(`wrote ${path.relative(h.ROOT, file)}`);
  }
  await page.setViewportSize(v.VIEWPORTS.desktop);
}

async function open(page: Page, host: h.HostProcess, hash: string, ready: string): Promise<void> {
  await page.goto(host.at(hash));
  await page.waitForSelector(ready, { timeout: 30_000 });
}

/** Finished runs from History (oldest first) with their protocol, as the table shows it. */
async function finishedRuns(page: Page): Promise<{ id: string; text: string }[]> {
  const rows = await v.historyRows(page);
  return rows
    .filter((r) => r.status === 'done' && r.id)
    .map((r) => ({ id: r.id!, text: r.text }))
    .reverse();
}

async function main(): Promise<void> {
  const stale = h.checkRendererBuild();
  if (stale) console.warn(`screenshots: ${stale}`);
  mkdirSync(OUT, { recursive: true });
  const host = await h.startHost(path.resolve(values.store!));
  const browser = await h.launchBrowser();
  try {
    const page = await (await browser.newContext({ viewport: v.VIEWPORTS.desktop, deviceScaleFactor: 1 })).newPage();
    // tsx keeps function names with an `__name` helper that the page lacks (vitest's transform does not).
    await page.addInitScript({ content: 'window.__name = (f) => f;' });
    await open(page, host, '#/history', h.tid('run-table'));
    await h.until(
      'History to list the runs',
      () => v.historyRows(page),
      (r) => r.length > 0,
      20_000,
    );
    const done = await finishedRuns(page);
    const ids = values.ids?.split(',') ?? done.map((r) => r.id);
    const ref = values.ref ?? done.find((r) => ids.includes(r.id) && /Baseline/.test(r.text))?.id ?? ids[0];
    const live = values.live ?? done.find((r) => ids.includes(r.id) && /Greedy/.test(r.text))?.id ?? done.at(-1)?.id;
    await capture(page, 'history');

    await open(page, host, '#/architecture', h.tid('resnet-diagram'));
    await page.click(h.tid('swap-all'));
    await capture(page, 'architecture');
    await open(page, host, '#/launch', h.tid('launch-form'));
    await capture(page, 'launch');
    if (live) {
      await open(page, host, `#/live/${encodeURIComponent(live)}`, h.tid('final-metrics'));
      await capture(page, 'live');
    }
    const query = `ids=${encodeURIComponent(ids.join(','))}&ref=${encodeURIComponent(ref ?? '')}`;
    await open(page, host, `#/compare?${query}`, h.tid('final-table'));
    await capture(page, 'compare');
    await page.goto(host.at(`#/report?${query}`));
    await h.until(
      'the report',
      () => v.reportState(page),
      (s) => s.ready === 'true' || s.error !== null,
      30_000,
    );
    await capture(page, 'report');

    const res = await fetch(`${host.origin}/report.pdf?${query}&token=${host.token}`);
    if (!res.ok) throw new Error(`the host did not render the PDF: ${(await res.text()).trim()}`);
    const tmp = mkdtempSync(path.join(tmpdir(), 'dwswap-shots-'));
    const pdf = path.join(tmp, 'report.pdf');
    writeFileSync(pdf, Buffer.from(await res.arrayBuffer()));
    if (h.pdfFirstPageToPng(pdf, path.join(OUT, 'report-pdf.png'))) console.log('wrote report-pdf.png (page 1)');
    else console.warn('screenshots: pdftoppm is missing (poppler-utils); no report-pdf.png');
    if (values.pdf) writeFileSync(path.resolve(values.pdf), readFileSync(pdf));
    rmSync(tmp, { recursive: true, force: true });
  } finally {
    await browser.close();
    await host.stop();
  }
  if (problems.length) {
    console.warn(`screenshots: layout problems:\n  ${problems.join('\n  ')}`);
    process.exitCode = 1;
  }
}

main().catch((e: unknown) => {
  console.error(`screenshots: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
