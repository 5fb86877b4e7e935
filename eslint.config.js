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
);
