import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import { resolveImport, specifiers } from './import-graph.js';

/*
 * The layering (docs/architecture.md, "Layers and who may import what") is the
 * eslint rule `layering/imports` built from eslint.layers.js. This file proves
 * that rule, as eslint.config.js configures it, refuses upward imports; that
 * the doc's table is the rule's table; and that the console's whole import
 * graph stays inside console/ and contracts/, so the browser bundle never
 * pulls in liquidjs or server code.
 */
const root = resolve(import.meta.dirname, '..');

interface Layer {
  name: string;
  members: string[];
  mayImport: string[] | 'below' | 'anything';
  typesFrom?: string[];
  why: string;
}

// JavaScript modules (ESLint reads its config as JS): loaded by URL, typed here.
const { layers } = (await import(pathToFileURL(join(root, 'eslint.layers.js')).href)) as { layers: Layer[] };
const config = ((await import(pathToFileURL(join(root, 'eslint.config.js')).href)) as { default: Linter.Config[] }).default;

/** The config block that switches the rule on, exactly as `npm run lint` uses it, parsed without type information (fast). */
const layeringBlock = config.find((block) => block.rules?.['layering/imports'] !== undefined);

async function lint(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({
    cwd: root,
    overrideConfigFile: true,
    overrideConfig: [{ ...layeringBlock, languageOptions: { parser: tseslint.parser as Linter.Parser } }],
  });
  const [result] = await eslint.lintText(code, { filePath: join(root, file) });
  return result!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

const markdownCode = (paths: string[]) => paths.map((p) => `\`${p}\``).join(', ');

/** The table docs/architecture.md shows, rendered from the rule's own list. */
function table(): string {
  const rows = layers.map((layer) => {
    const may =
      layer.mayImport === 'anything'
        ? 'anything'
        : layer.mayImport === 'below'
          ? 'every layer above'
          : layer.mayImport.length === 0
            ? 'nothing of the project'
            : markdownCode(layer.mayImport);
    const types = layer.typesFrom ? `; \`import type\` also from ${markdownCode(layer.typesFrom)}` : '';
    return `| ${layer.name} | ${markdownCode(layer.members)} | ${may}${types} | ${layer.why} |`;
  });
  return ['| Layer | Folders and files | May import (besides itself) | What it holds |', '|---|---|---|---|', ...rows].join('\n');
}

describe('layering', () => {
  it('is switched on for every TypeScript file', () => {
    expect(layeringBlock?.files).toEqual(['**/*.ts', '**/*.tsx']);
    expect(layeringBlock?.rules?.['layering/imports']).toBe('error');
  });

  it('refuses upward imports, type-only ones included', async () => {
    const upward: [string, string][] = [
      ['webhook/user.ts', "import { channelInputSchema } from '../channels/store.js';"],
      ['db/schema/campaigns.ts', "import type { FrozenChannel } from '../../campaigns/definition.js';"],
      ['contracts/channel.ts', "import { ApiError } from '../lib/errors.js';"],
      ['console/src/Campaigns.tsx', "import { resolveTemplateValues } from '../../campaigns/definition.js';"],
      ['runs/store.ts', "export { createCampaign } from '../campaigns/store.js';"],
      ['lib/errors.ts', "const db = await import('../db/client.js');"],
      ['workflows/campaign.ts', "import { createActivities } from '../activities/index.js';"],
    ];
    for (const [file, code] of upward) {
      const messages = await lint(file, code);
      expect(messages, `${file}: ${code}`).toHaveLength(1);
      expect(messages[0]).toMatch(/^layering\/imports: .* may not import /);
    }
    expect((await lint('webhook/user.ts', "import { x } from '../channels/store.js';"))[0]).toContain(
      'Foundations (webhook/user.ts) may not import channels/store.ts (Domain). It may import: lib/, config/, webhook/, contracts/, lib/secret-box.ts.',
    );
  });

  it('lets imports go downwards, workflows take activity types, and tests import anything', async () => {
    const fine: [string, string][] = [
      ['campaigns/store.ts', "import { openRun } from '../runs/store.js';"],
      ['db/schema/channels.ts', "import { seal } from '../../lib/secret-box.js';\nimport type { ChannelAuth } from '../../contracts/channel.js';"],
      ['workflows/campaign.ts', "import type { Activities } from '../activities/index.js';"],
      ['console/src/Channels.tsx', "import { channelInputSchema } from '../../contracts/channel.js';\nimport { api } from './api.js';"],
      ['segments/store.test.ts', "import { createApp } from '../api/app.js';"],
      ['webhook/send.ts', "import { request } from 'undici';"],
    ];
    for (const [file, code] of fine) expect(await lint(file, code), `${file}: ${code}`).toEqual([]);
  });

  it('names a file that is in no layer', async () => {
    expect(await lint('newfolder/thing.ts', 'export const x = 1;')).toEqual([expect.stringMatching(/newfolder\/thing\.ts is in no layer/)]);
  });

  it('is the table docs/architecture.md shows', () => {
    expect(readFileSync(join(root, 'docs/architecture.md'), 'utf8')).toContain(table());
  });
});

describe("the console's import graph", () => {
  const consoleSources = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return consoleSources(path);
      return /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
    });

  /** Every project file the console's code reaches, and every package those files import. */
  function reach(entries: string[]) {
    const seen = new Set<string>();
    const packages = new Map<string, string>();
    const queue = [...entries];
    while (queue.length > 0) {
      const file = queue.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      for (const specifier of specifiers(file)) {
        const target = resolveImport(file, specifier);
        if (target) queue.push(target);
        else if (!specifier.startsWith('.')) packages.set(specifier, relative(root, file));
      }
    }
    return { files: [...seen].map((f) => relative(root, f)), packages };
  }

  it('reaches only console/ and contracts/, and no server package', () => {
    const { files, packages } = reach(consoleSources(join(root, 'console/src')));
    expect(files.filter((f) => !f.startsWith('console/') && !f.startsWith('contracts/'))).toEqual([]);
    expect(files.some((f) => f.startsWith('contracts/'))).toBe(true);
    const server = /^(liquidjs|drizzle-orm|postgres|pino|undici|prom-client|standardwebhooks|@temporalio\/|@hono\/|hono)(\/|$)|^node:/;
    expect([...packages].filter(([name]) => server.test(name)).map(([name, from]) => `${name} (from ${from})`)).toEqual([]);
  });

  it('would catch a reach into a server module', () => {
    // campaigns/definition.ts renders Liquid templates: reaching it drags liquidjs along.
    const { files, packages } = reach([join(root, 'campaigns/definition.ts')]);
    expect(files).toContain('webhook/template.ts');
    expect([...packages.keys()].some((name) => name === 'liquidjs' || name.startsWith('liquidjs/'))).toBe(true);
  });
});
