// ESLint flat config: typescript-eslint + eslint-plugin-svelte, and the import boundaries between layers
// (ARCHITECTURE.md "Who may import whom") as no-restricted-imports rules per folder.
import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const layers = [
  'engine',
  'runtime',
  'models',
  'generate',
  'train',
  'store',
  'services',
  'transport',
  'preload',
  'cli',
];

/**
 * Forbids importing any src-main layer not listed in `allowed` (and Electron unless allowed). Layers are
 * matched by where a relative import really lands (one block per folder depth), so a room inside a layer
 * that shares a layer's name (services/train/) is not mistaken for that layer.
 */
function boundary(folder, allowed, { electron = false, shared = true } = {}) {
  const forbidden = layers.filter((layer) => layer !== folder && !allowed.includes(layer));
  const paths = electron
    ? []
    : [{ name: 'electron', message: 'electron is imported only in main.ts, transport/ and preload/.' }];
  return [1, 2, 3, 4].map((depth) => {
    const up = '\\.\\./'.repeat(depth);
    const patterns = forbidden.map((layer) => ({
      regex: `^(${up}${layer}|.*src-main/${layer})(/|$)`,
      message: `src-main/${folder} may not import src-main/${layer} (see ARCHITECTURE.md, Who may import whom).`,
    }));
    if (!shared)
      patterns.push({ group: ['**/src-shared/*'], message: `src-main/${folder} imports nothing of ours.` });
    patterns.push({ group: ['**/src-renderer/*'], message: 'The main side never imports the renderer.' });
    return {
      files: [`src-main/${folder}/${'*/'.repeat(depth - 1)}*.ts`],
      rules: { 'no-restricted-imports': ['error', { patterns, paths }] },
    };
  });
}

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'out/',
      'dist/',
      'dist-web/',
      'tests/e2e/artifacts/',
      'resources/',
      '.device/',
      'bench/out/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] } },
  },
  ...boundary('engine', [], { shared: false }),
  ...boundary('models', ['engine']),
  ...boundary('runtime', ['engine']),
  ...boundary('generate', ['models', 'engine', 'runtime']),
  ...boundary('train', ['models', 'engine', 'runtime']),
  ...boundary('store', []),
  ...boundary('services', ['engine', 'runtime', 'models', 'generate', 'train', 'store']),
  ...boundary('transport', ['services', 'store'], { electron: true }),
  ...boundary('preload', [], { electron: true }),
  ...boundary('cli', ['services', 'transport']),
  {
    files: ['src-renderer/**/*.ts', 'src-renderer/**/*.svelte'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/src-main/*', 'node:*'], message: 'The renderer imports only src-shared.' },
          ],
          paths: [{ name: 'electron', message: 'The renderer never imports electron; use the preload API.' }],
        },
      ],
    },
  },
  {
    files: ['src-shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/src-main/*', '**/src-renderer/*', 'node:*'],
              message: 'src-shared is pure: no node:*, no DOM, no app layers.',
            },
          ],
          paths: [{ name: 'electron', message: 'src-shared never imports electron.' }],
        },
      ],
    },
  },
);
