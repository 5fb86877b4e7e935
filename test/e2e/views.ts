/**
 * What the e2e test reads from and does in each view, through the renderer's test hooks
 * (data-testid, data-block, data-status, aria-*): one place to change when a view changes.
 */
import type { Page } from 'playwright-core';
import { attrOf, textOf, tid, until, waitAttr, waitText } from './harness';

/** 1234567 -> "1,234,567" (exact counts, as the UI prints them under the short form). */
export const int = (n: number): string => String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

// ---------------------------------------------------------------------------------------------
// Architecture.
// ---------------------------------------------------------------------------------------------

/** Each totals card's value (short form) and sub-line (the exact count for total-params), and the swapped blocks. */
export function archTotals(page: Page) {
  return page.evaluate(() => {
    const card = (id: string) => {
      const v = document.querySelector(`[data-testid="${id}"]`);
      return { value: v?.textContent?.trim() ?? null, sub: v?.nextElementSibling?.textContent?.trim() ?? null };
    };
    return {
      total: card('total-params'),
      weights: card('weights-mib'),
      saved: card('saved-params'),
      percent: card('saved-percent'),
      count: card('swapped-count').value,
      swapped: Array.from(document.querySelectorAll('[data-block][data-swapped="true"]')).map((e) =>
        e.getAttribute('data-block'),
      ),
    };
  });
}
export type ArchTotals = Awaited<ReturnType<typeof archTotals>>;

/** The exact total the totals card shows, as a number. */
export const exactTotal = (t: ArchTotals): number => Number((t.total.sub ?? 'NaN').replace(/,/g, ''));

/** Waits until the totals show `totalParams` exactly with `swapped` blocks swapped (in the cards and the diagram). */
export function waitTotals(page: Page, what: string, totalParams: number, swapped: number): Promise<ArchTotals> {
  return until(
    `the totals for ${what} (${int(totalParams)} parameters, ${swapped} / 16 swapped)`,
    () => archTotals(page),
    (t) => t.total.sub === int(totalParams) && t.count === `${swapped} / 16` && t.swapped.length === swapped,
  );
}

/** Toggles a block of the diagram by click or by Space on the focused block; waits for its new state. */
export async function toggleBlock(page: Page, block: string, how: 'click' | 'keyboard' = 'click'): Promise<void> {
  const sel = `[data-block="${block}"]`;
  const after = (await attrOf(page, sel, 'data-swapped')) === 'true' ? 'false' : 'true';
  if (how === 'click') await page.click(sel);
  else {
    await page.focus(sel);
    await page.keyboard.press('Space');
  }
  await waitAttr(page, sel, 'data-swapped', after, `${block} to become data-swapped=${after}`);
  await waitAttr(page, sel, 'aria-pressed', after, `${block} to say aria-pressed=${after}`);
}

/** The cells of a block's row in the formula table. */
export function formulaRow(page: Page, block: string): Promise<(string | undefined)[]> {
  return page.$$eval(`[data-block-row="${block}"] td`, (tds) =>
    tds.map((td) => td.textContent?.trim().replace(/\s+/g, ' ')),
  );
}

// ---------------------------------------------------------------------------------------------
// Launch.
// ---------------------------------------------------------------------------------------------

export interface LaunchInput {
  protocol: string;
  name: string;
  epochs: number;
  dataset: { path: string; train: number; test: number };
  baseline?: string;
}

/** Opens Launch and fills the form for a small CPU run at 1/16 width, batch 20. */
export async function fillLauncher(page: Page, o: LaunchInput): Promise<void> {
  await page.click(tid('nav-launch'));
  await page.waitForSelector(tid('launch-form'));
  await page.click(tid(`protocol-${o.protocol}`));
  if (o.baseline) {
    await page.waitForSelector(`${tid('baseline-run')} option[value="${o.baseline}"]`, { state: 'attached' });
    await page.selectOption(tid('baseline-run'), o.baseline);
  }
  await page.fill(tid('dataset-path'), o.dataset.path);
  const images = `${o.dataset.train * 10} train / ${o.dataset.test * 10} test images`;
  await waitText(
    page,
    tid('dataset-ok'),
    (t) => t.includes(images) && t.includes('10 classes'),
    `the host to accept the dataset path (dataset-ok: ${images}, 10 classes)`,
  );
  await page.fill(tid('train-per-class'), String(o.dataset.train));
  await page.fill(tid('test-per-class'), String(o.dataset.test));
  await page.fill(tid('epochs'), String(o.epochs));
  await page.fill(tid('batch-size'), '20');
  await page.selectOption(tid('backend'), 'cpu');
  await page.selectOption(tid('launch-width-divisor'), '16');
  await page.fill(tid('run-name'), o.name);
}

/** Presses Start; resolves with the new run's id once the live view of it opens. */
export async function startFromLauncher(page: Page): Promise<string> {
  await page.click(tid('start-run'));
  const got = await until(
    'the launcher to open the live view of the new run (#/live/<id>)',
    async () => ({
      id: /#\/live\/([^?]+)/.exec(page.url())?.[1] ?? null,
      error: (await textOf(page, tid('start-error'))) ?? (await textOf(page, tid('form-errors'))),
    }),
    (v) => v.id !== null || v.error !== null,
  );
  if (got.error) throw new Error(`the launcher did not start the run: ${got.error}`);
  return decodeURIComponent(got.id!);
}

// ---------------------------------------------------------------------------------------------
// Live.
// ---------------------------------------------------------------------------------------------

/** One look at what the live view shows about the run's progress. */
export function liveSnapshot(page: Page) {
  return page.evaluate(() => {
    const q = (id: string) => document.querySelector(`[data-testid="${id}"]`);
    const t = (id: string) => q(id)?.textContent?.trim() ?? null;
    return {
      status: q('run-status')?.getAttribute('data-status') ?? null,
      value: q('progress-bar')?.getAttribute('aria-valuenow') ?? null,
      percent: t('progress-percent'),
      phase: t('progress-phase'),
      epoch: t('progress-epoch'),
      batch: t('progress-batch'),
      rate: t('progress-rate'),
      eta: t('progress-eta'),
      final: q('final-metrics') !== null,
    };
  });
}
export type LiveSnapshot = Awaited<ReturnType<typeof liveSnapshot>>;

/** Polls the live view until `stop` holds; returns every distinct look on the way. */
export async function watchLive(
  page: Page,
  what: string,
  stop: (s: LiveSnapshot) => boolean,
  timeoutMs = 150_000,
): Promise<LiveSnapshot[]> {
  const looks: LiveSnapshot[] = [];
  await until(
    what,
    async () => {
      const s = await liveSnapshot(page);
      if (looks.length === 0 || JSON.stringify(looks[looks.length - 1]) !== JSON.stringify(s)) looks.push(s);
      return s;
    },
    stop,
    timeoutMs,
    75,
  );
  return looks;
}

/** A run status that ends watching: anything but queued and running. */
export const settled = (s: LiveSnapshot): boolean => s.status !== null && !['queued', 'running'].includes(s.status);

/**
 * Points drawn by each line series of a chart: ECharts' SVG renderer draws a series as one
 * unfilled path ("M x y L x y ...") with the series' 2 px line width; axes and grid lines are 1 px.
 */
export function chartLines(page: Page, testid: string): Promise<number[]> {
  return page.$$eval(`[data-testid="${testid}"] svg path[fill="none"][stroke-width="2"]`, (paths) =>
    paths.map((p) => (p.getAttribute('d') ?? '').split(/[ML]/).filter((s) => s.trim()).length),
  );
}

// ---------------------------------------------------------------------------------------------
// History and Compare.
// ---------------------------------------------------------------------------------------------

/** The history table's rows: run id, status badge, the row's text and whether it is highlighted. */
export function historyRows(page: Page) {
  return page.$$eval('[data-testid="run-row"]', (trs) =>
    trs.map((tr) => ({
      id: tr.getAttribute('data-run-id'),
      status: tr.querySelector('[data-status]')?.getAttribute('data-status') ?? null,
      text: tr.textContent?.replace(/\s+/g, ' ').trim() ?? '',
      highlighted: tr.getAttribute('data-highlight') === 'true',
    })),
  );
}

/** Opens History's export dialog for a run; resolves with the path it proposes. */
export async function openExport(page: Page, runId: string): Promise<string> {
  await page.click(`[data-testid="run-row"][data-run-id="${runId}"] ${tid('export-run')}`);
  await page.waitForSelector(tid('dialog-input'), { state: 'visible' });
  return page.inputValue(tid('dialog-input'));
}

/** Types `value` into the open History dialog and presses its confirm button. */
export async function confirmDialog(page: Page, value: string): Promise<void> {
  await page.fill(tid('dialog-input'), value);
  await page.click(tid('dialog-confirm'));
}

/** The final table: run rows, difference rows with their cells, and its whole text. */
export function finalTable(page: Page) {
  return page.$eval(tid('final-table'), (t) => ({
    rows: Array.from(t.querySelectorAll('[data-compare-row]')).map((r) => r.getAttribute('data-compare-row')),
    diffs: Array.from(t.querySelectorAll('[data-diff-row]')).map((r) => ({
      id: r.getAttribute('data-diff-row'),
      cells: Array.from(r.querySelectorAll('td')).map((td) => td.textContent?.trim().replace(/\s+/g, ' ')),
    })),
    text: t.textContent?.replace(/\s+/g, ' ') ?? '',
  }));
}

/** The report route's readiness flags on <html>. */
export function reportState(page: Page) {
  return page.evaluate(() => ({
    ready: document.documentElement.dataset.reportReady ?? null,
    error: document.documentElement.dataset.reportError ?? null,
  }));
}

// ---------------------------------------------------------------------------------------------
// Layout: read from the rendered DOM and from ECharts' SVG output, never from pixels.
// ---------------------------------------------------------------------------------------------

/**
 * What is wrong with the page's layout: a table wider than its card (or the report), a chart
 * label (any SVG text ECharts drew: tick, axis name, legend, point label, phase mark) overlapping
 * another or leaving its chart. One line per problem; [] when the layout is clean.
 */
export function layoutProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const name = (el: Element) =>
      el.getAttribute('data-testid') ?? el.closest('[data-testid]')?.getAttribute('data-testid') ?? el.tagName;
    for (const table of Array.from(document.querySelectorAll('table'))) {
      const box = table.closest('.card, .report, .config, .modal');
      if (!box || table.getClientRects().length === 0) continue;
      const t = table.getBoundingClientRect();
      const b = box.getBoundingClientRect();
      const over = Math.max(
        t.right - b.right,
        table.scrollWidth - table.clientWidth,
        t.left < b.left ? b.left - t.left : 0,
      );
      if (over > 1) out.push(`table ${name(table)} overflows its card by ${Math.round(over)}px`);
    }
    for (const chart of Array.from(document.querySelectorAll('.chart'))) {
      const svg = chart.querySelector('svg');
      if (!svg) continue;
      const s = svg.getBoundingClientRect();
      const texts = Array.from(svg.querySelectorAll('text'))
        .filter(
          (t) =>
            (t.textContent ?? '').trim() && getComputedStyle(t).display !== 'none' && t.getAttribute('opacity') !== '0',
        )
        .map((t) => ({ text: (t.textContent ?? '').trim(), r: t.getBoundingClientRect() }))
        .filter((t) => t.r.width > 0 && t.r.height > 0);
      const label = name(chart);
      for (const t of texts) {
        if (t.r.left < s.left - 1 || t.r.right > s.right + 1 || t.r.top < s.top - 1 || t.r.bottom > s.bottom + 1) {
          out.push(`chart ${label}: label "${t.text}" is cut off at the chart's edge`);
        }
      }
      for (let i = 0; i < texts.length; i++) {
        for (let j = i + 1; j < texts.length; j++) {
          const [a, b] = [texts[i].r, texts[j].r];
          const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
          const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
          if (w > 1 && h > 1) out.push(`chart ${label}: labels "${texts[i].text}" and "${texts[j].text}" overlap`);
        }
      }
    }
    return out;
  });
}

/** The desktop and the narrow window every view is checked (and photographed) at. */
export const VIEWPORTS = { desktop: { width: 1440, height: 900 }, narrow: { width: 800, height: 900 } } as const;
