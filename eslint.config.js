import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';
import { layering } from './eslint.layers.js';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['node_modules/**', '.data/**', 'db/migrations/**', 'dist/**', 'dist.next-*/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Layers (docs/architecture.md, "Layers and who may import what"): every project import
    // goes downwards as eslint.layers.js says; test/layering.test.ts holds the doc's table to it.
    files: ['**/*.ts', '**/*.tsx'],
    plugins: { layering },
    rules: { 'layering/imports': 'error' },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no Node built-ins,
    // no database, no network, no activity implementations (only their types).
    files: ['workflows/**/*.ts'],
    ignores: ['workflows/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.map((name) => ({ name, message: 'Workflow code cannot use Node built-ins (Temporal sandbox).' })),
            ...['postgres', 'drizzle-orm', 'undici', 'pino', 'prom-client', 'liquidjs', 'standardwebhooks', '@temporalio/client', '@temporalio/worker', '@temporalio/activity'].map(
              (name) => ({ name, message: 'Workflow code must not do I/O; call an activity instead.' }),
            ),
          ],
          patterns: [
            { group: ['drizzle-orm/*', 'undici/*', '**/db/*', '../db/**', '**/webhook/*', '**/lib/logger*'], message: 'Workflow code must not do I/O; call an activity instead.' },
            { group: ['**/activities/*', '../activities/**'], allowTypeImports: true, message: 'Import activity types only (import type) and call them through proxyActivities.' },
          ],
        },
      ],
    },
  },
);
