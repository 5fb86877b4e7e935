#!/usr/bin/env node
/**
 * `npm test`: the whole check, in order. Type checks, lint, the renderer build (the end-to-end tests
 * serve out/renderer), then vitest with a JSON report. Every step runs even when an earlier one
 * failed, so one run shows every problem; the exit status is non-zero if any step failed.
 *
 * The last line is always `tests: N passed, N failed` (plus `, N skipped` when there are any),
 * counted from vitest's JSON report. Arguments after `npm test --` go to vitest (e.g. a file filter).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url);
const tmp = mkdtempSync(join(tmpdir(), 'dwswap-test-'));
const report = join(tmp, 'vitest.json');

const steps = [
  { name: 'typecheck', cmd: 'npm', args: ['run', '--silent', 'typecheck'] },
  { name: 'lint', cmd: 'npm', args: ['run', '--silent', 'lint'] },
  {
    name: 'renderer build',
    cmd: 'npx',
    args: ['vite', 'build', '--config', 'vite.web.config.ts', '--logLevel', 'warn'],
  },
  {
    name: 'vitest',
    cmd: 'npx',
    args: [
      'vitest',
      'run',
      '--reporter=default',
      '--reporter=json',
      `--outputFile=${report}`,
      ...process.argv.slice(2),
    ],
  },
];

/** Runs one step with its output going straight to ours; returns whether it succeeded. */
function run(step, index) {
  console.log(`\n=== [${index + 1}/${steps.length}] ${step.name}: ${step.cmd} ${step.args.join(' ')}`);
  const started = Date.now();
  const r = spawnSync(step.cmd, step.args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  const ok = r.status === 0;
  const why = r.error ? r.error.message : r.signal ? `signal ${r.signal}` : `exit ${r.status}`;
  console.log(`=== ${step.name}: ${ok ? 'ok' : `FAILED (${why})`} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return ok;
}

/**
 * Counts from vitest's JSON report. A test file that failed before any test ran (an import or
 * syntax error) has no assertion results; it counts as one failed test so it cannot go unnoticed.
 */
function countTests(path) {
  if (!existsSync(path)) return null;
  const r = JSON.parse(readFileSync(path, 'utf8'));
  const brokenFiles = (r.testResults ?? []).filter(
    (f) => f.status === 'failed' && !(f.assertionResults ?? []).some((a) => a.status === 'failed'),
  );
  for (const f of brokenFiles) console.log(`test file failed to run: ${f.name}`);
  return {
    passed: r.numPassedTests ?? 0,
    failed: (r.numFailedTests ?? 0) + brokenFiles.length,
    skipped: (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0),
  };
}

const results = steps.map((step, i) => ({ name: step.name, ok: run(step, i) }));
const counts = countTests(report);
rmSync(tmp, { recursive: true, force: true });

console.log('\n=== summary');
for (const r of results) console.log(`${r.ok ? 'ok    ' : 'FAILED'} ${r.name}`);
if (!counts) console.log('vitest wrote no JSON report; the test counts below are not real');
const c = counts ?? { passed: 0, failed: 0, skipped: 0 };
const failed = results.some((r) => !r.ok) || !counts || c.failed > 0;
console.log(`tests: ${c.passed} passed, ${c.failed} failed${c.skipped > 0 ? `, ${c.skipped} skipped` : ''}`);
process.exitCode = failed ? 1 : 0;
