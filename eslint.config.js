import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

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
    // Layers (docs/architecture.md, "Layers and who may import what"). contracts/ is the leaf:
    // schemas, status words and ids every layer shares; it imports nothing of the project.
    files: ['contracts/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^\\.\\./', message: 'contracts/ is a leaf: it imports nothing of the project outside contracts/.' }] }],
    },
  },
  {
    // Table definitions: code from contracts/ (and the sealing column's secret box) only;
    // the JSON column types still come as types from their domain modules.
    files: ['db/schema/**/*.ts', 'db/schema.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^\\.\\./(?!(\\.\\./)?contracts/|\\.\\./lib/secret-box\\.js$)',
              allowTypeImports: true,
              message: 'db/schema imports code from contracts/ only (types from elsewhere: import type).',
            },
          ],
        },
      ],
    },
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
