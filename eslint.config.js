/**
 * ESLint 9 flat config: typescript-eslint's recommended rules for every .ts file, eslint-plugin-vue
 * for the renderer's single-file components. Formatting belongs to Prettier (.prettierrc.json), so
 * no rule here is about layout.
 */
import { createRequire } from 'node:module';
import pluginVue from 'eslint-plugin-vue';
import tseslint from 'typescript-eslint';

// @eslint/js ships with eslint itself; resolve it from there rather than listing it twice.
const js = createRequire(import.meta.resolve('eslint'))('@eslint/js');

// ---------------------------------------------------------------------------------------------
// Layers, as lint rules: engine <- store <- host <- transports <- renderer, the contract below
// them all, the entry points (Electron main, headless host, CLI, the worker thread's entry) as
// composition roots on top. A back-edge fails `npm run lint` (and so `npm test`);
// scripts/check-imports.mjs fails on any import cycle.
// ---------------------------------------------------------------------------------------------

/** Relative specifiers reaching into src-main/<name> from one or two folders down. */
const dirs = (...names) => names.flatMap((n) => [`../${n}`, `../${n}/**`, `../../${n}`, `../../${n}/**`]);
/** The engine's own modules: from outside, the engine is reached through src-main/engine/index.ts. */
const ENGINE_INSIDE = { group: ['../engine/*', '../../engine/*'], message: 'import the engine through src-main/engine (its index.ts), not its modules' };
const RENDERER = { group: ['**/src-renderer', '**/src-renderer/**'], message: 'src-main never imports the renderer' };
const PLATFORM = ['electron', 'vue', 'pinia', 'echarts', 'better-sqlite3', 'ws', 'node:*', '@tensorflow/*'];

/** A no-restricted-imports rule for `files`: `groups` of specifiers refused with `why`. */
function layer(files, why, groups, extra = [], ignores = [], paths = []) {
  return {
    files,
    ignores,
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: paths.map((name) => ({ name, message: why })), patterns: [...groups.map((group) => ({ group, message: why })), ...extra] },
      ],
    },
  };
}

const LAYERS = [
  layer(['src-main/contract/**'], 'the contract is plain data, types and zod: it imports no other layer and no platform', [['../*'], PLATFORM]),
  layer(
    ['src-main/engine/**'],
    'the engine knows nothing above it (store, host, worker, transports, entry points) nor Electron, Vue, SQLite',
    [dirs('store', 'host', 'worker', 'transports', 'ipc', 'preload', 'main', 'serve', 'cli'), ['electron', 'vue', 'better-sqlite3', 'ws']],
    [RENDERER],
  ),
  layer(
    ['src-main/store/**'],
    'the store may use the engine and the contract only',
    [dirs('host', 'worker', 'transports', 'ipc', 'preload', 'main', 'serve', 'cli'), ['electron', 'vue', '@tensorflow/*']],
    [ENGINE_INSIDE, RENDERER],
  ),
  layer(
    ['src-main/worker/**'],
    'a training job uses the engine and the contract; its entry (train-worker.ts) passes the store\'s file writes in',
    [dirs('store', 'host', 'transports', 'ipc', 'preload', 'main', 'serve', 'cli'), ['electron', 'vue', 'better-sqlite3']],
    [ENGINE_INSIDE, RENDERER],
    ['src-main/worker/train-worker.ts'],
  ),
  layer(
    ['src-main/worker/train-worker.ts'],
    'the worker thread\'s entry composes the job with the store\'s file writes, nothing above',
    [dirs('host', 'transports', 'ipc', 'preload', 'main', 'serve', 'cli')],
    [ENGINE_INSIDE, RENDERER],
  ),
  layer(
    ['src-main/host/**'],
    'the host serves every transport and knows none of them (nor the entry points)',
    [dirs('transports', 'ipc', 'preload', 'main', 'serve', 'cli'), ['electron', 'vue']],
    [ENGINE_INSIDE, RENDERER],
  ),
  layer(['src-main/transports/**', 'src-main/ipc/**'], 'a transport carries the contract; it does not know the entry points or the renderer', [dirs('preload', 'main', 'serve', 'cli'), ['vue']], [ENGINE_INSIDE, RENDERER]),
  layer(['src-main/main/**', 'src-main/serve/**', 'src-main/cli/**'], 'an entry point composes the layers below it', [['vue']], [ENGINE_INSIDE, RENDERER]),
  layer(
    ['src-main/preload/**'],
    'the sandboxed preload bundles to one file: only electron and the contract\'s zod-free modules (methods.ts, wire.ts)',
    [['../*', '!../contract', '../contract/*', '!../contract/methods', '!../contract/wire'], ['zod']],
    [],
    [],
    ['../contract', '../contract/index'],
  ),
  layer(
    ['src-renderer/**'],
    'the renderer reaches the host only through the contract (@contract) and a transport; no src-main internals, no Node',
    [['**/src-main', '**/src-main/**'], ['electron', 'node:*', '@tensorflow/*', 'better-sqlite3', 'ws']],
  ),
];

/** The few Node globals the plain .js/.mjs files (scripts, bin, this config) use. */
const nodeGlobals = Object.fromEntries(
  ['process', 'console', 'URL', 'Buffer', 'setTimeout', 'clearTimeout'].map((name) => [name, 'readonly']),
);

export default tseslint.config(
  { ignores: ['out/', 'node_modules/', 'docs/', '.tmp/', 'data/', 'dist/', 'test-results/', '.gpu/', '.cache/'] },

  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...pluginVue.configs['flat/recommended'],
  // Layout inside <template> is Prettier's job; eslint-plugin-vue's own layout rules would fight it.
  pluginVue.configs['no-layout-rules'],

  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: nodeGlobals },
  },

  {
    files: ['**/*.vue'],
    languageOptions: {
      // <script setup lang="ts">: vue-eslint-parser hands the script block to the TypeScript parser.
      parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'], sourceType: 'module' },
      // Single-file components run in the browser; TypeScript (vue-tsc) already checks names.
      globals: { window: 'readonly', document: 'readonly' },
    },
  },

  {
    files: ['**/*.vue'],
    rules: {
      // Slot props are passed to the parent's scope verbatim (no kebab-to-camel normalisation as for
      // component props), so `<slot :describedBy>` must stay camelCase for `f.describedBy` to work.
      'vue/attribute-hyphenation': ['warn', 'always', { ignoreTags: ['slot'] }],
    },
  },

  {
    files: ['**/*.ts', '**/*.vue'],
    rules: {
      // TypeScript (strict, vue-tsc) resolves identifiers itself and knows DOM/Node types;
      // typescript-eslint advises turning no-undef off for typed code.
      'no-undef': 'off',
      // `_name` marks a parameter or destructured value that is deliberately unused
      // (e.g. an interface-shaped callback or a rest-sibling used to omit a key).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
    },
  },

  ...LAYERS,
);
