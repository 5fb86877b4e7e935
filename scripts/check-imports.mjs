#!/usr/bin/env node
/**
 * Fails (exit 1) on an import cycle anywhere in src-main or src-renderer. Every import counts,
 * type-only ones included: a cycle of types still ties two modules into one. `npm run lint` runs
 * it after ESLint (whose per-folder no-restricted-imports rules keep the layers pointing one way).
 *
 * The graph comes from the TypeScript compiler's own import scanner (ts.preProcessFile) over .ts
 * files and the <script> blocks of .vue files; relative specifiers and the `@contract` alias are
 * resolved to files, packages are left out. Cycles are the strongly connected components (Tarjan)
 * with more than one file, or a file importing itself.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIRS = ['src-main', 'src-renderer/src'];
const ALIASES = { '@contract': join(ROOT, 'src-main/contract') };

/** Every .ts and .vue file under `dir`. */
function sources(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...sources(full));
    else if (/\.(ts|vue)$/.test(name) && !name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

/** The code TypeScript should scan: the file, or a .vue file's <script> blocks. */
function code(file) {
  const text = readFileSync(file, 'utf8');
  if (!file.endsWith('.vue')) return text;
  return [...text.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]).join('\n');
}

/** A specifier to the file it names, or null for a package. */
function resolveSpecifier(from, spec) {
  let base = null;
  for (const [alias, target] of Object.entries(ALIASES)) {
    if (spec === alias || spec.startsWith(`${alias}/`)) base = join(target, spec.slice(alias.length));
  }
  if (base === null && spec.startsWith('.')) base = resolve(dirname(from), spec);
  if (base === null) return null;
  const stripped = base.replace(/\.(js|mjs|cjs)$/, '');
  const candidates = [base, `${stripped}.ts`, `${base}.ts`, join(base, 'index.ts')];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile() && /\.(ts|vue)$/.test(c)) ?? null;
}

function graph(files) {
  const edges = new Map();
  for (const file of files) {
    const info = ts.preProcessFile(code(file), true, true);
    const targets = info.importedFiles.map((f) => resolveSpecifier(file, f.fileName)).filter((t) => t !== null);
    edges.set(file, [...new Set(targets)]);
  }
  return edges;
}

/** Tarjan's strongly connected components, iteratively (no recursion limit). */
function cycles(edges) {
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const onStack = new Set();
  const stack = [];
  const found = [];
  for (const start of edges.keys()) {
    if (idx.has(start)) continue;
    const work = [[start, 0]];
    idx.set(start, index);
    low.set(start, index++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const [v, i] = frame;
      const next = edges.get(v) ?? [];
      if (i < next.length) {
        frame[1]++;
        const w = next[i];
        if (!edges.has(w)) continue;
        if (!idx.has(w)) {
          idx.set(w, index);
          low.set(w, index++);
          stack.push(w);
          onStack.add(w);
          work.push([w, 0]);
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1][0];
        low.set(parent, Math.min(low.get(parent), low.get(v)));
      }
      if (low.get(v) === idx.get(v)) {
        const component = [];
        let w;
        do {
          w = stack.pop();
          onStack.delete(w);
          component.push(w);
        } while (w !== v);
        if (component.length > 1 || (edges.get(v) ?? []).includes(v)) found.push(component);
      }
    }
  }
  return found;
}

const files = DIRS.flatMap((d) => sources(join(ROOT, d)));
const found = cycles(graph(files));
for (const c of found) console.error(`import cycle: ${c.map((f) => relative(ROOT, f)).sort().join(' <-> ')}`);
if (found.length > 0) {
  console.error(`${found.length} import cycle(s); break each by moving what both sides need into a module below them`);
  process.exitCode = 1;
} else {
  console.log(`import graph: ${files.length} files, no cycles`);
}
