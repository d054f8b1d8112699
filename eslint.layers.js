import { dirname, relative, resolve, sep } from 'node:path';

/*
 * Who may import what (docs/architecture.md, "Layers and who may import what",
 * whose table test/layering.test.ts renders from this list). A layer is a set
 * of folders (`x/`) and files; the most specific member names a file's layer.
 * A layer imports project code only from itself and from what `mayImport`
 * names ('below': every layer listed before it; 'anything': no limit), and
 * `import type` also from `typesFrom`. Packages are not limited here (the
 * workflow sandbox rule in eslint.config.js limits those for workflows/).
 * Test files (`*.test.ts`) are entry points, except in contracts/, whose tests
 * stay inside the leaf too.
 */
export const layers = [
  { name: 'Contracts (leaf)', members: ['contracts/'], mayImport: [], why: 'schemas, types, status words and ids every layer and the console share' },
  { name: 'Sealing (leaf)', members: ['lib/secret-box.ts'], mayImport: [], why: 'the AES-GCM secret box the sealed `channels.auth` column uses (Node crypto only)' },
  { name: 'Tables', members: ['db/schema/', 'db/schema.ts'], mayImport: ['contracts/', 'lib/secret-box.ts'], why: 'Drizzle table definitions' },
  { name: 'Foundations', members: ['lib/', 'config/', 'webhook/'], mayImport: ['contracts/', 'lib/secret-box.ts'], why: 'errors, logging, metrics, settings; the webhook request, signing, sending and templates' },
  { name: 'Plumbing', members: ['db/', 'temporal/'], mayImport: 'below', why: 'the database client, migrations, embedded PostgreSQL; Temporal connection and dev server' },
  {
    name: 'Workflows (Temporal sandbox)',
    members: ['workflows/'],
    mayImport: ['contracts/', 'temporal/search-attributes.ts'],
    typesFrom: ['activities/', 'retention/'],
    why: 'deterministic workflow code and its messages; activities only by type',
  },
  {
    name: 'Domain',
    members: ['access/', 'audience/', 'segments/', 'channels/', 'delivery/', 'effect/', 'triggers/', 'runs/', 'retention/', 'campaigns/lifecycle.ts'],
    mayImport: 'below',
    why: 'one folder per concern, each other without a circle (test/import-cycles.test.ts); `campaigns/lifecycle.ts` is here because run writers use it',
  },
  { name: 'Campaigns', members: ['campaigns/'], mayImport: 'below', why: 'store, trigger kinds, launch and controls' },
  { name: 'Activities', members: ['activities/'], mayImport: 'below', why: "the worker's activity implementations" },
  {
    name: 'Entry points',
    members: ['api/', 'worker/', 'scripts/', 'bench/', 'system/', 'test/', 'vitest.config.ts', 'drizzle.config.ts'],
    mayImport: 'anything',
    why: 'processes, tools and tests (every `*.test.ts` counts as one, outside contracts/)',
  },
  { name: 'Console (browser)', members: ['console/'], mayImport: ['contracts/'], why: 'the operator console: contracts/ and its generated client (console/src/api-schema.d.ts) only' },
];

const root = import.meta.dirname;

/** The member naming a project path (folders end in `/`): the longest that matches. */
function memberOf(path) {
  let best;
  for (const layer of layers) {
    for (const member of layer.members) {
      const hit = member.endsWith('/') ? path.startsWith(member) : path === member;
      if (hit && (!best || member.length > best.member.length)) best = { layer, member };
    }
  }
  return best;
}

/** The members a layer's code may import. */
function allowed(layer) {
  if (layer.mayImport === 'anything') return undefined;
  const index = layers.indexOf(layer);
  const below = layer.mayImport === 'below' ? layers.slice(0, index).flatMap((l) => l.members) : layer.mayImport;
  return [...layer.members, ...below];
}

const isIn = (path, members) => members.some((m) => (m.endsWith('/') ? path.startsWith(m) : path === m));

/** A project path (`./x.js` is `x.ts`), from the repository root with `/` separators. */
function projectPath(fromFile, specifier) {
  return relative(root, resolve(dirname(fromFile), specifier)).split(sep).join('/').replace(/\.js$/, '.ts');
}

const rule = {
  meta: {
    type: 'problem',
    docs: { description: 'Project imports go downwards only (docs/architecture.md, "Layers and who may import what").' },
    schema: [],
    messages: {
      upward: '{{layer}} ({{file}}) may not import {{target}} ({{targetLayer}}). It may import: {{allowed}}. See docs/architecture.md, "Layers and who may import what".',
      unplaced: '{{file}} is in no layer: add its folder to eslint.layers.js and the table in docs/architecture.md.',
    },
  },
  create(context) {
    const file = relative(root, context.filename).split(sep).join('/');
    if (file.startsWith('..')) return {};
    const own = memberOf(file);
    if (!own) {
      return { Program: (node) => context.report({ node, messageId: 'unplaced', data: { file } }) };
    }
    const isTest = /\.test\.tsx?$/.test(file);
    const mayImport = isTest && own.layer.name !== 'Contracts (leaf)' ? undefined : allowed(own.layer);
    if (!mayImport) return {};
    const check = (node, source, typeOnly) => {
      if (!source || typeof source.value !== 'string' || !source.value.startsWith('.')) return;
      const target = projectPath(context.filename, source.value);
      if (isIn(target, mayImport) || (typeOnly && isIn(target, own.layer.typesFrom ?? []))) return;
      const targetMember = memberOf(target);
      context.report({
        node,
        messageId: 'upward',
        data: {
          layer: own.layer.name,
          file,
          target,
          targetLayer: targetMember ? targetMember.layer.name : 'outside every layer',
          allowed: [...mayImport, ...(own.layer.typesFrom ?? []).map((m) => `${m} (types)`)].join(', ') || 'nothing of the project',
        },
      });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source, node.importKind === 'type'),
      ExportNamedDeclaration: (node) => check(node, node.source, node.exportKind === 'type'),
      ExportAllDeclaration: (node) => check(node, node.source, node.exportKind === 'type'),
      ImportExpression: (node) => check(node, node.source, false),
    };
  },
};

export const layering = { rules: { imports: rule } };
