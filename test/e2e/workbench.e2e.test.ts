/**
 * The workbench end to end: Debian's Chromium (playwright-core) drives the built renderer served by
 * the headless host (src-main/serve/main.ts: the real host, the real engine in a worker thread, the
 * real SQLite store), training a 1/16-width ResNet-50 on a tiny synthetic CIFAR-10 zip.
 *
 * The scenarios share one host, browser and data directory and run in order (each builds on the
 * runs of the ones before). Needs `npx vite build --config vite.web.config.ts` first (npm test does
 * it). Skipped, with a message, only where /usr/bin/chromium is missing. E2E_SCREENSHOTS=1 also
 * writes docs/screenshots/*.png.
 */
import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BLOCKS, BLOCK_NAMES, type ModelConfig } from '../../src-main/contract';
import { inspectModel } from '../../src-main/engine/params';
import { formatMiB, formatParams, formatPercent } from '../../src-renderer/src/lib/format';
import { paramsUnit } from '../../src-renderer/src/lib/numbers';
import * as h from './harness';
import { tid } from './harness';
import * as v from './views';

const SKIP = !h.chromiumAvailable();
if (SKIP)
  console.warn(`e2e: SKIPPED, ${h.CHROMIUM} is missing (install Debian's chromium package to run the UI tests)`);
const TITLE = SKIP
  ? `workbench e2e (skipped: ${h.CHROMIUM} is missing)`
  : 'workbench e2e: Chromium against the headless host (real engine, real SQLite)';

type ModelInput = Partial<Omit<ModelConfig, 'swap'>> & { swap?: Partial<ModelConfig['swap']> };
const inspect = (m: ModelInput) => inspectModel(m);
/** What swapping one block's 3x3 conv (N in, N out) saves: 9N²+N (with bias) - (9N + N² + N). */
const swapSaving = (n: number): number => 9 * n * n + n - (9 * n + n * n + n);
const widthOf = (block: string): number => BLOCKS.find((b) => b.name === block)!.baseWidth;
const percentText = /^\d{1,3}\.\d\d%$/;

describe.skipIf(SKIP)(TITLE, () => {
  let ws: h.Workspace;
  let host: h.HostProcess | null = null;
  let browser: Browser | null = null;
  let page: Page;
  let seen: { errors: string[]; console: string[] };
  /** Run ids created along the way, used by the later scenarios. */
  const runs: { baseline?: string; resumed?: string; ours?: string } = {};
  const started = Date.now();
  const dataset = () => ({ path: ws.zip, train: ws.train, test: ws.test });
  const finishedWith = async (what: string) => `${what} (status reason: ${await h.textOf(page, tid('status-reason'))})`;

  /**
   * The view as it stands, at the desktop and the narrow size: no table wider than its card, no
   * two chart labels overlapping or cut off (v.layoutProblems, read from the DOM and ECharts' SVG);
   * a screenshot of each size is kept (test-results/e2e/views/, and docs/screenshots/ with
   * E2E_SCREENSHOTS=1). Charts animate and follow their container's size, so the check polls.
   */
  const checkView = async (name: string) => {
    for (const [size, vp] of Object.entries(v.VIEWPORTS)) {
      await page.setViewportSize(vp);
      await h.until(
        `a clean layout of the ${name} view at ${vp.width}x${vp.height} (tables inside their cards, chart labels apart)`,
        () => v.layoutProblems(page),
        (p) => p.length === 0,
        8_000,
        200,
      );
      await h.keepView(page, size === 'desktop' ? name : `${name}-${size}`);
    }
    await page.setViewportSize(h.VIEWPORT);
  };

  beforeAll(async () => {
    const stale = h.checkRendererBuild(); // throws, naming the build command, when out/renderer is missing
    if (stale) console.warn(`e2e: ${stale}`);
    ws = h.makeWorkspace(10, 5);
    [host, browser] = await Promise.all([h.startHost(ws.dataDir), h.launchBrowser()]);
    page = await (await browser.newContext({ viewport: h.VIEWPORT, deviceScaleFactor: 1 })).newPage();
    seen = h.watchPage(page);
  }, 90_000);

  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail' || !page) return;
    mkdirSync(h.FAILURE_DIR, { recursive: true });
    const file = path.join(h.FAILURE_DIR, `${ctx.task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}.png`);
    await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
    console.error(
      `e2e failure diagnostics for "${ctx.task.name}":\n  page: ${page.url()}\n  screenshot: ${file}\n` +
        `  page errors: ${JSON.stringify(seen.errors)}\n  console errors: ${JSON.stringify(seen.console.slice(-10))}\n` +
        `  host output:\n${host?.output() ?? '(no host)'}`,
    );
  });

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await host?.stop().catch(() => undefined);
    ws?.cleanup();
    console.info(`e2e: finished in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  }, 60_000);

  it('1. architecture: swapping blocks changes the totals by exactly what the formulas say', async () => {
    const full = inspect({});
    const all = inspect({ swapped: [...BLOCK_NAMES] });
    // The study's arithmetic; inspectModel (what the host answers with) is itself checked against TF.js.
    expect(all.totalParams, 'full width, all 16 swapped: 16,190,026 parameters').toBe(16_190_026);
    expect(all.savedParams, 'full width, all 16 swapped: saves 10,025,792 parameters').toBe(10_025_792);
    expect(all.savedPercent.toFixed(2), 'full width, all 16 swapped: saves 38.24%').toBe('38.24');

    await page.goto(host!.at('#/architecture'));
    await h.waitAttr(page, tid('host-status'), 'data-connection', 'open', 'the socket to the host to open');
    await page.waitForSelector(tid('resnet-diagram'));
    expect(await page.locator('[data-block]').count(), 'the diagram has the 16 bottleneck blocks').toBe(16);

    let t = await v.waitTotals(page, 'the classical model', full.totalParams, 0);
    expect(t.total.value, 'total-params: the classical total, short').toBe(formatParams(full.totalParams));
    expect(t.weights.value, 'weights-mib: float32 MiB of the classical model').toBe(formatMiB(full.weightsMiB));
    expect(t.saved.value, 'nothing saved with no block swapped').toBe('0');

    await page.click(tid('swap-all'));
    t = await v.waitTotals(page, 'all 16 blocks swapped', all.totalParams, 16);
    expect(t.total.sub, 'swap all: the total is 16,190,026').toBe('16,190,026');
    expect(t.total.value, 'swap all: the short total').toBe('16.19M');
    expect(t.saved.value, 'swap all: 10,025,792 saved, shown as 10.03M').toBe('10.03M');
    expect(t.saved.sub, 'swap all: saved against the 26.22M classical model').toBe('of 26.22M classical');
    expect(t.percent.value, 'swap all: 38.24% saved, shown to one decimal').toBe('38.2%');
    expect(t.weights.value, 'swap all: weights in MiB').toBe(formatMiB(all.weightsMiB));
    expect(await h.attrOf(page, tid('swap-all'), 'aria-pressed'), 'the All button is pressed').toBe('true');

    await page.click(tid('swap-none'));
    t = await v.waitTotals(page, 'no block swapped again', full.totalParams, 0);
    expect(t.percent.value, 'swap none: 0% saved').toBe('0.0%');

    // One block: the total falls by exactly 9N²+N - (9N + N² + N) for the block's width N.
    const one = 'conv4_block2';
    const n = widthOf(one);
    await v.toggleBlock(page, one);
    t = await v.waitTotals(page, `${one} swapped`, inspect({ swapped: [one] }).totalParams, 1);
    expect(full.totalParams - v.exactTotal(t), `swapping ${one} (N=${n}) saves 9N²+N-(9N+N²+N)`).toBe(swapSaving(n));
    expect(swapSaving(n), 'which for N=256 is 521,984').toBe(521_984);
    const row = await v.formulaRow(page, one);
    const b = inspect({ swapped: [one] }).blocks.find((x) => x.name === one)!;
    expect(row[2], `${one} formula row: N filters`).toBe(v.int(n));
    expect(row[3], `${one} formula row: N·M·D²`).toBe(v.int(9 * n * n));
    expect(row[4], `${one} formula row: M·(D²+N)`).toBe(v.int(n * (9 + n)));
    expect(row[6], `${one} formula row: its 3×3 conv is now depthwise 9N + 1×1 N²+N`).toBe(v.int(9 * n + n * n + n));
    expect(row[7], `${one} formula row: block parameters`).toBe(v.int(b.params));
    const shown = await h.textOf(page, `[data-block="${one}"] ${tid('block-params')}`);
    expect(shown, `${one} in the diagram shows its block parameters`).toBe(formatParams(b.params));

    // A second block adds its own saving; Space on the focused first block restores it.
    const two = 'conv2_block1';
    await v.toggleBlock(page, two);
    t = await v.waitTotals(page, `${one} and ${two} swapped`, inspect({ swapped: [one, two] }).totalParams, 2);
    expect(full.totalParams - v.exactTotal(t), 'two blocks: the savings add up').toBe(swapSaving(256) + swapSaving(64));
    await v.toggleBlock(page, one, 'keyboard');
    t = await v.waitTotals(page, `${two} alone (after Space on ${one})`, inspect({ swapped: [two] }).totalParams, 1);
    expect(full.totalParams - v.exactTotal(t), `only ${two}'s saving is left`).toBe(swapSaving(64));

    // Any selection matches inspectModel, and so do the depth multiplier and the width divisor.
    const some = ['conv2_block1', 'conv3_block2', 'conv3_block4', 'conv4_block3', 'conv4_block6', 'conv5_block1'];
    for (const blk of some.filter((x) => x !== two)) await v.toggleBlock(page, blk);
    t = await v.waitTotals(page, 'six blocks swapped', inspect({ swapped: some }).totalParams, 6);
    expect(t.percent.value, 'six blocks: the saved share').toBe(
      `${inspect({ swapped: some }).savedPercent.toFixed(1)}%`,
    );
    await checkView('architecture');
    await page.fill(tid('depth-multiplier'), '2');
    await v.waitTotals(
      page,
      'depth multiplier 2',
      inspect({ swapped: some, swap: { depthMultiplier: 2 } }).totalParams,
      6,
    );
    await page.fill(tid('depth-multiplier'), '1');
    await page.selectOption(tid('width-divisor'), '16');
    await v.waitTotals(
      page,
      'width 1/16, same six blocks',
      inspect({ widthDivisor: 16, swapped: some }).totalParams,
      6,
    );
  }, 60_000);

  it('2. launch a baseline and watch progress, curves and final metrics arrive', async () => {
    // On a CPU host the launcher starts from what it can finish, and says it has no speed to estimate from yet.
    await page.click(tid('nav-launch'));
    await h.waitText(
      page,
      tid('launch-sized-for'),
      /^Defaults sized for a CPU .* until the host reports its backend with its first run/,
      'the CPU-sized defaults note',
    );
    expect(await page.inputValue(tid('train-per-class')), 'CPU default: 80 train images per class').toBe('80');
    expect(await page.inputValue(tid('launch-width-divisor')), 'CPU default: 1/16 width').toBe('16');
    expect(await h.textOf(page, tid('launch-estimate')), 'no run yet to take a speed from').toMatch(
      /^no estimate: the host has not said which backend it uses/,
    );
    await v.fillLauncher(page, { protocol: 'baseline', name: 'e2e baseline', epochs: 2, dataset: dataset() });
    await checkView('launch');
    runs.baseline = await v.startFromLauncher(page);
    await h.waitText(page, tid('run-name'), 'e2e baseline', 'the live view to show the run name');

    const looks = await v.watchLive(page, 'the baseline to finish', v.settled);
    expect(looks[looks.length - 1].status, await finishedWith('the baseline finished')).toBe('done');
    const running = looks.filter((s) => s.status === 'running' && s.batch !== '—');
    expect(running.length, `progress arrived while running; looks: ${JSON.stringify(looks)}`).toBeGreaterThan(0);
    const values = running.map((s) => Number(s.value));
    expect(new Set(values).size, `the progress bar moved while running: ${values.join(' -> ')}`).toBeGreaterThan(1);
    expect(values, 'the progress bar never goes back').toEqual([...values].sort((x, y) => x - y));
    expect(
      running.map((s) => s.phase),
      'a baseline trains in one phase, "training"',
    ).toEqual(running.map(() => 'training'));
    expect(running[0].epoch, 'the first progress is in epoch 1 of 2').toBe('1 / 2');
    expect(
      running.every((s) => /^[12] \/ 2$/.test(s.epoch!)),
      'epoch reads "k / 2" while running',
    ).toBe(true);
    expect(
      running.every((s) => /^[1-5] \/ 5$/.test(s.batch!)),
      'batch reads "b / 5": 100 images, batch 20',
    ).toBe(true);
    expect(
      running.some((s) => /^[\d,]+\/s$/.test(s.rate!)),
      'the rate shows samples per second',
    ).toBe(true);
    expect(
      running.some((s) => /^(\d+s|\d+m \d\ds)$/.test(s.eta!)),
      'the ETA shows a duration',
    ).toBe(true);

    // Done: a full bar, the last progress in epoch 2 / 2 at batch 5 / 5, and the final metrics.
    await h.waitAttr(page, tid('progress-bar'), 'aria-valuenow', '100', 'the progress bar to reach 100');
    expect(await h.textOf(page, tid('progress-percent')), 'the percentage at the end').toBe('100.0%');
    expect(await h.textOf(page, tid('progress-epoch')), 'the last progress was in the last epoch').toBe('2 / 2');
    expect(await h.textOf(page, tid('progress-batch')), 'the last progress was the last batch').toBe('5 / 5');
    expect(await h.textOf(page, tid('progress-eta')), 'no ETA once done').toBe('—');
    await page.waitForSelector(tid('final-metrics'));
    const narrow = inspect({ widthDivisor: 16 });
    const params = await h.textOf(page, tid('final-params'));
    expect(params, 'final parameters: the 1/16-width classical model').toBe(formatParams(narrow.totalParams));
    expect(await h.textOf(page, tid('final-weights')), 'final weights in MiB').toBe(formatMiB(narrow.weightsMiB));
    expect(await h.textOf(page, tid('final-train-acc')), 'final train accuracy, a percentage').toMatch(percentText);
    expect(await h.textOf(page, tid('final-test-acc')), 'final test accuracy, a percentage').toMatch(percentText);
    expect(await h.textOf(page, tid('final-inference')), 'inference time in seconds').toMatch(/^\d+(\.\d+)? s$/);

    // The curves: a train and a test line with one point per epoch, in both charts.
    const loss = await h.until(
      'the loss chart to draw',
      () => v.chartLines(page, 'loss-chart'),
      (l) => l.length >= 2,
    );
    expect(loss, 'loss chart: train and test loss, 2 points each').toEqual([2, 2]);
    expect(await v.chartLines(page, 'acc-chart'), 'accuracy chart: train and test accuracy, 2 points each').toEqual([
      2, 2,
    ]);
    await checkView('live');
  }, 180_000);

  it('3. cancel a run after its first progress, resume it, and see it finish', async () => {
    expect(runs.baseline, 'needs the baseline of scenario 2').toBeTruthy();
    await page.click(tid('rerun')); // the baseline's configuration, with more epochs
    await page.waitForSelector(tid('launch-form'));
    expect(await page.inputValue(tid('dataset-path')), 're-run prefills the dataset path').toBe(ws.zip);
    expect(await page.inputValue(tid('launch-width-divisor')), 're-run prefills the width').toBe('16');
    await page.fill(tid('epochs'), '3');
    await page.fill(tid('run-name'), 'e2e cancel and resume');
    runs.resumed = await v.startFromLauncher(page);
    expect(runs.resumed, 'a new run, not the baseline').not.toBe(runs.baseline);

    await v.watchLive(page, 'the first progress report', (s) => s.status === 'running' && s.batch !== '—');
    await page.click(tid('cancel-run'));
    await h.waitAttr(page, tid('run-status'), 'data-status', 'cancelled', 'the run to be cancelled');
    await h.waitText(page, tid('status-reason'), /cancel/i, 'the live view to say why the run stopped');
    expect(await page.locator(tid('cancel-run')).count(), 'no cancel button on a cancelled run').toBe(0);
    expect(await page.locator(tid('final-metrics')).count(), 'a cancelled run has no final metrics').toBe(0);

    await page.click(tid('resume-run'));
    const looks = await v.watchLive(page, 'the resumed run to finish', (s) => v.settled(s) && s.status !== 'cancelled');
    expect(
      looks.map((s) => s.status),
      'resume runs it again',
    ).toContain('running');
    expect(looks[looks.length - 1].status, await finishedWith('the resumed run finished')).toBe('done');
    await page.waitForSelector(tid('final-metrics'));
    expect(await h.textOf(page, tid('progress-epoch')), 'it trained to its last epoch').toBe('3 / 3');
    expect(await page.locator(tid('resume-run')).count(), 'a finished run offers no resume').toBe(0);
  }, 180_000);

  it('4. after the host restarts on the same data directory, History lists the runs with their status', async () => {
    expect(runs.baseline && runs.resumed, 'needs the runs of scenarios 2 and 3').toBeTruthy();
    const old = host!;
    host = null;
    expect(await old.stop(), `the host exits cleanly on SIGTERM; its output:\n${old.output()}`).toBe(0);
    await h.waitAttr(page, tid('host-status'), 'data-connection', 'down', 'the page to notice the host is gone');
    await page.waitForSelector(tid('host-unreachable'));

    host = await h.startHost(ws.dataDir);
    expect(host.token, 'the new host has a new token').not.toBe(old.token);
    await page.goto(host.at('#/history'));
    await h.waitAttr(page, tid('host-status'), 'data-connection', 'open', 'the socket to the new host to open');
    expect(await page.locator(tid('host-unreachable')).count(), 'no unreachable banner with the new host').toBe(0);

    const rows = await h.until(
      'both runs in the history table',
      () => v.historyRows(page),
      (r) => r.length === 2,
    );
    const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
    expect(byId[runs.baseline!]?.status, 'the baseline is listed as done').toBe('done');
    expect(byId[runs.baseline!]?.text, 'its row shows name, protocol and width').toMatch(
      /e2e baseline.*Baseline · 1\/16/,
    );
    expect(byId[runs.resumed!]?.status, 'the cancelled-then-resumed run is listed as done').toBe('done');
    expect(byId[runs.resumed!]?.text, 'its row shows its name').toContain('e2e cancel and resume');

    await page.fill(tid('history-search'), 'resume');
    await h.until(
      'the search to leave one row',
      () => v.historyRows(page),
      (r) => r.length === 1,
    );
    expect(await h.attrOf(page, tid('run-row'), 'data-run-id'), 'searching "resume" finds that run').toBe(runs.resumed);
    await page.fill(tid('history-search'), '');
    await h.until(
      'the cleared search to list both again',
      () => v.historyRows(page),
      (r) => r.length === 2,
    );
    await checkView('history');
  }, 90_000);

  it('5. compare the baseline with an `ours` run started from it: both rows and a difference row', async () => {
    expect(runs.baseline, 'needs the baseline of scenario 2').toBeTruthy();
    const input = { protocol: 'ours', name: 'e2e ours', epochs: 1, dataset: dataset(), baseline: runs.baseline };
    await v.fillLauncher(page, input);
    await h.waitText(
      page,
      tid('launch-estimate'),
      /^about \d+s of training\s*estimate from [\d,]+ images\/s recorded by “e2e (baseline|cancel and resume)”/,
      'an estimate from the speed the earlier runs recorded',
    );
    runs.ours = await v.startFromLauncher(page);
    const looks = await v.watchLive(page, 'the ours run to finish', v.settled);
    expect(looks[looks.length - 1].status, await finishedWith('ours finished')).toBe('done');
    const base = inspect({ widthDivisor: 16 });
    const ours = inspect({ widthDivisor: 16, swapped: [...BLOCK_NAMES] });
    await page.waitForSelector(tid('final-metrics'));
    const params = await h.textOf(page, tid('final-params'));
    expect(params, 'ours: the 1/16-width model with all 16 blocks swapped').toBe(formatParams(ours.totalParams));
    expect(
      await page.$$eval(`${tid('loss-chart')} svg text`, (ts) => ts.map((t) => t.textContent?.trim())),
      "ours' loss chart names its lines and marks SVD + BN on the epoch axis",
    ).toEqual(
      expect.arrayContaining(['test cross-entropy', 'distillation objective', 'SVD + BN', 'distillation epoch']),
    );
    await checkView('live-ours');

    // Tick both in History, open Compare, make the baseline the reference.
    await page.click(tid('nav-history'));
    for (const id of [runs.baseline!, runs.ours]) {
      await page.check(`[data-testid="run-row"][data-run-id="${id}"] ${tid('select-run')}`);
    }
    await page.click(tid('compare-selected'));
    await page.waitForSelector(tid('final-table'));
    for (const id of [runs.baseline!, runs.ours]) {
      expect(await page.locator(`[data-compare-chip="${id}"]`).count(), `a chip for run ${id}`).toBe(1);
    }
    await page.selectOption(tid('compare-reference'), runs.baseline!);
    await h.until(
      'the baseline to be the reference (ref= in the URL)',
      async () => page.url(),
      (u) => u.includes(`ref=${runs.baseline}`),
    );
    await page.waitForSelector(`[data-diff-row="${runs.ours}"]`);

    const table = await v.finalTable(page);
    expect([...table.rows].sort(), 'the final table has one row per run').toEqual([runs.baseline, runs.ours].sort());
    expect(
      table.diffs.map((d) => d.id),
      'one difference row: ours against the baseline',
    ).toEqual([runs.ours]);
    const paramsDiff = ((ours.totalParams - base.totalParams) / base.totalParams) * 100;
    expect(table.diffs[0].cells[5], 'the difference row: parameters, % (after train, val, test acc and time)').toBe(formatPercent(paramsDiff, 2));
    expect(table.diffs[0].cells[0], 'the difference row names both runs by letter').toContain('B vs A');
    const unit = paramsUnit([base.totalParams, ours.totalParams]);
    expect(table.text, 'the table names its parameter unit').toContain(`Params, ${unit.name}`);
    expect(table.text, "the table gives the baseline's parameters in a unit that tells the two apart").toContain(
      unit.format(base.totalParams),
    );
    expect(unit.format(base.totalParams), 'the two counts read differently').not.toBe(unit.format(ours.totalParams));
    expect(await h.textOf(page, `[data-run-key="${runs.ours}"] td`), 'the run key letters ours B').toBe('B');
    expect(
      await page.$$eval(`${tid('block-table')} th[data-run-column]`, (ths) => ths.map((t) => t.textContent?.trim())),
      'the Blocks table names its columns by run letter',
    ).toEqual(['A', 'B']);
    await checkView('compare');
  }, 180_000);

  it('6. the report page prints to a PDF holding the final table', async () => {
    expect(runs.baseline && runs.ours, 'needs the runs of scenario 5').toBeTruthy();
    const href = await h.attrOf(page, tid('open-report'), 'href');
    expect(href, 'Compare links to the report of the same runs and reference').toBe(
      `#/report?ids=${encodeURIComponent(`${runs.baseline},${runs.ours}`)}&ref=${runs.baseline}`,
    );
    await page.goto(host!.at(href!));
    const state = await h.until(
      'html[data-report-ready] or [data-report-error]',
      () => v.reportState(page),
      (s) => Boolean(s.ready === 'true' || s.error),
    );
    expect(state.error, 'the report loaded without error').toBeNull();
    expect(await page.locator(tid('nav-history')).count(), 'the report route renders only the report').toBe(0);
    expect(await h.textOf(page, tid('report-date')), 'the report is dated').toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d$/);
    expect(await page.locator(`[data-run-config="${runs.ours}"]`).count(), "ours' configuration is listed").toBe(1);
    await checkView('report');

    // Export PDF asks the host, which renders the report page in Chromium; the page downloads it.
    await page.goto(
      host!.at(`#/compare?ids=${encodeURIComponent(`${runs.baseline},${runs.ours}`)}&ref=${runs.baseline}`),
    );
    await page.waitForSelector(tid('final-table'));
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: 60_000 }),
      page.click(tid('export-pdf')),
    ]);
    expect(download.suggestedFilename(), 'the download is a dated PDF').toMatch(/^dwswap-report-\d{4}-\d\d-\d\d\.pdf$/);
    const pdf = path.join(ws.root, 'report.pdf');
    await download.saveAs(pdf);
    expect(statSync(pdf).size, 'the host rendered a PDF').toBeGreaterThan(10_000);
    await h.waitText(page, tid('pdf-result'), /^Downloaded dwswap-report-/, 'Compare to say the PDF was downloaded');
    if (h.SCREENSHOTS && !h.pdfFirstPageToPng(pdf, path.join(h.SCREENSHOT_DIR, 'report-pdf.png'))) {
      console.warn('e2e: pdftoppm is missing; no docs/screenshots/report-pdf.png');
    }
    const pages = h.pdfPageTexts(pdf);
    if (pages === null) return console.warn('e2e: pdftotext is missing (poppler-utils); not checking the PDF text');
    const flat = pages.join(' ').replace(/\s+/g, ' ');
    const base = inspect({ widthDivisor: 16 });
    const ours = inspect({ widthDivisor: 16, swapped: [...BLOCK_NAMES] });
    const unit = paramsUnit([base.totalParams, ours.totalParams]);
    const expected: [string, string][] = [
      ['e2e baseline', 'the baseline run name'],
      ['e2e ours', 'the ours run name'],
      ['Test acc', 'the test accuracy column'],
      ['Params,', 'the parameters column'],
      [unit.name, "the parameters column's unit"],
      [unit.format(base.totalParams), "the baseline's parameters"],
      [unit.format(ours.totalParams), "ours' parameters"],
      ['Difference, %', 'the difference row'],
      [formatPercent(((ours.totalParams - base.totalParams) / base.totalParams) * 100, 2), 'the parameter difference'],
    ];
    for (const [needle, what] of expected) expect(flat, `the PDF text holds ${what}: ${needle}`).toContain(needle);
    expect(pages.length, 'the report fits on a few A4 pages').toBeLessThanOrEqual(4);
    const blocksPage = pages.find((t) => /^Blocks$/m.test(t));
    expect(blocksPage, 'the PDF has a Blocks heading').toBeTruthy();
    expect(blocksPage, 'the Blocks heading shares its page with the table (first and last block)').toMatch(
      /conv2_1[\s\S]*conv5_3/,
    );
  }, 90_000);

  it('7. export a run from History to a file and import it back: a new, highlighted row with the same results', async () => {
    expect(runs.baseline, 'needs the baseline of scenario 2').toBeTruthy();
    await page.goto(host!.at('#/history'));
    const before = await h.until(
      'the three runs of scenarios 2 to 5 in History',
      () => v.historyRows(page),
      (r) => r.length === 3,
    );
    const proposed = await v.openExport(page, runs.baseline!);
    expect(proposed, 'the default destination: <dataDir>/exports/<run name>.dwrun').toBe(
      path.join(ws.dataDir, 'exports', 'e2e baseline.dwrun'),
    );
    await v.confirmDialog(page, 'relative/baseline.dwrun');
    await h.waitText(
      page,
      tid('dialog-error'),
      /^relative\/baseline\.dwrun is not an absolute path; give the full path/,
      'the dialog to refuse a relative path in one line',
    );

    const file = path.join(ws.root, 'exported-baseline'); // .dwrun is appended
    await v.confirmDialog(page, file);
    await h.waitText(page, tid('archive-path'), `${file}.dwrun`, 'History to say where the run was written');
    expect(await h.textOf(page, tid('archive-notice')), 'the notice names the run').toContain(
      'Exported “e2e baseline”',
    );
    expect(statSync(`${file}.dwrun`).size, 'the archive is on the host’s disk').toBeGreaterThan(10_000);

    await page.click(tid('import-run'));
    await v.confirmDialog(page, `${file}.dwrun`);
    const after = await h.until(
      'a fourth row, the imported copy',
      () => v.historyRows(page),
      (r) => r.length === 4,
    );
    const known = new Set(before.map((r) => r.id));
    const copy = after.find((r) => !known.has(r.id))!;
    const original = after.find((r) => r.id === runs.baseline)!;
    expect(copy.highlighted, 'the imported run is highlighted').toBe(true);
    expect(
      after.filter((r) => r.highlighted),
      'only it',
    ).toHaveLength(1);
    expect(copy.status, 'imported as done').toBe('done');
    const withoutId = (r: { id: string | null; text: string }) => r.text.replace(r.id!.slice(0, 8), '<id>');
    expect(copy.text, 'the copy carries the imported badge (its checks passed)').toMatch(/imported(?!, unverified)/);
    expect(withoutId(copy).replace(/\s?imported/, ''), 'the same name, protocol, metrics and date as the original').toBe(
      withoutId(original),
    );
    expect(await h.textOf(page, tid('archive-notice'))).toContain('Imported “e2e baseline”');
  }, 60_000);

  it('8. launch a baseline from a model folder: a bad folder is refused next to the field, a good one is measured', async () => {
    expect(runs.baseline, 'needs the baseline of scenario 2').toBeTruthy();
    await v.fillLauncher(page, { protocol: 'baseline', name: 'e2e from folder', epochs: 0, dataset: dataset() });
    await page.fill(tid('init-from'), path.join(ws.root, 'no-such-model'));
    await page.click(tid('start-run'));
    await h.waitText(
      page,
      tid('error-initFrom'),
      /^cannot start from .*no-such-model/,
      'the host’s refusal next to the field',
    );
    expect(page.url(), 'still on Launch').toContain('#/launch');

    // The baseline's own saved model: 0 epochs only measures it, with the folder's structure (1/16 width).
    await page.fill(tid('init-from'), path.join(ws.dataDir, 'runs', runs.baseline!, 'model'));
    await v.startFromLauncher(page);
    const looks = await v.watchLive(page, 'the measuring run to finish', v.settled);
    expect(looks[looks.length - 1].status, await finishedWith('the measuring run finished')).toBe('done');
    await page.waitForSelector(tid('final-metrics'));
    expect(await h.textOf(page, tid('final-params')), 'the model of the folder: 1/16 width').toBe(
      formatParams(inspect({ widthDivisor: 16 }).totalParams),
    );
  }, 90_000);

  it('the layout check itself sees a table past its card and overlapping or cut-off chart labels', async () => {
    const scratch = await page.context().newPage();
    await scratch.setContent(`
      <div class="card" style="width:300px"><table data-testid="wide"><tr><td style="white-space:nowrap">${'x'.repeat(80)}</td></tr></table></div>
      <div class="chart" data-testid="crowded" style="width:200px;height:100px"><svg width="200" height="100">
        <text x="10" y="50" font-size="12">first label</text><text x="30" y="52" font-size="12">second</text>
        <text x="190" y="90" font-size="12">cut off</text></svg></div>`);
    expect(await v.layoutProblems(scratch)).toEqual([
      expect.stringMatching(/^table wide overflows its card by \d+px$/),
      'chart crowded: label "cut off" is cut off at the chart\'s edge',
      'chart crowded: labels "first label" and "second" overlap',
    ]);
    await scratch.close();
  });

  it('9. deploy: Compare times both runs (ONNX Runtime + engine), exports one to a checked ONNX file whose accuracy matches, and Architecture shows per-block latency', async () => {
    expect(runs.baseline && runs.ours, 'needs the runs of scenario 5').toBeTruthy();
    await page.goto(host!.at(`#/compare?ids=${encodeURIComponent(`${runs.baseline},${runs.ours}`)}&ref=${runs.baseline}`));
    await page.waitForSelector(tid('final-table'));
    await page.click(tid('time-inference'));
    await page.waitForSelector(tid('timing-table'), { timeout: 240_000 });
    const timed = await page.$$eval('[data-timing-row]', (trs) =>
      trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent?.trim().replace(/\s+/g, ' ') ?? '')),
    );
    expect(timed, '2 runs x (ONNX Runtime, engine) x batch 1 and 64').toHaveLength(8);
    // The engine is timed on the host's own backend (auto: wasm here, cpu where wasm cannot load).
    const runtimes = [...new Set(timed.map((c) => c[1].replace(/\d+(\.\d+)*/g, 'N')))].sort();
    expect(runtimes, 'runtimes named, with provider and threads').toHaveLength(2);
    expect(runtimes[0], 'ONNX Runtime with its provider and threads').toBe('ONNX Runtime N (cpu, N thread)');
    expect(runtimes[1], 'the engine with its backend').toMatch(/^engine \(TF\.js N, (wasm|cpu)\)$/);
    expect(timed.map((c) => c[2]).sort()).toEqual(['1', '1', '1', '1', '64', '64', '64', '64']);
    expect(timed.filter((c) => c[0] === 'e2e ours').every((c) => /^\d+\.\d+×$/.test(c[5])), 'speed-ups against the baseline').toBe(true);

    await page.click(tid('export-onnx'));
    await page.selectOption(tid('onnx-run'), runs.ours!);
    expect(await page.inputValue(tid('onnx-path')), 'proposed: <dataDir>/exports/<run name>.onnx').toBe(
      path.join(ws.dataDir, 'exports', 'e2e ours.onnx'),
    );
    await page.click(tid('onnx-confirm'));
    await h.waitText(
      page,
      tid('onnx-result'),
      /^Written to .*e2e ours\.onnx \(.* MiB, .* s\): max relative error \d\.\de-\d+ against the engine \(tolerance 0\.0001\)/,
      'the dialog to say where the file went and what the check found',
    );
    expect(statSync(path.join(ws.dataDir, 'exports', 'e2e ours.onnx')).size).toBeGreaterThan(50_000);
    await page.click(tid('onnx-eval'));
    const acc = await h.waitText(page, tid('onnx-accuracy'), /^Test accuracy through ONNX Runtime/, 'the file’s accuracy', 60_000);
    const m = /Runtime: (\S+) on (\d+) test images \(the run measured (\S+) in the engine\)/.exec(acc);
    expect(m, acc).not.toBeNull();
    expect(m![1], 'the same test accuracy through ONNX Runtime as in the engine').toBe(m![3]);
    expect(Number(m![2]), "the run's test images").toBe(ws.test * 10);
    await page.keyboard.press('Escape');

    await page.goto(host!.at('#/architecture'));
    await page.selectOption(tid('width-divisor'), '16');
    await page.click(tid('measure-latency'));
    await page.waitForSelector(tid('latency-note'), { timeout: 120_000 });
    const speedups = await page.$$eval('[data-latency="speedup"]', (tds) => tds.map((td) => td.textContent?.trim() ?? ''));
    expect(speedups, 'a dense vs separable speed-up for each of the 16 blocks').toHaveLength(16);
    expect(speedups.every((t) => /^\d+\.\d\d×$/.test(t))).toBe(true);
    expect(await page.locator(tid('block-latency')).count(), 'each diagram block shows its speed-up').toBe(16);
  }, 360_000);

  it('the renderer threw no uncaught exception through all of this', () => {
    expect(seen.errors, 'uncaught exceptions in the page').toEqual([]);
  });
});
