import { readFileSync } from 'node:fs';
import { eq, sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaigns } from '../db/schema.js';
import { textProblem } from '../lib/json-values.js';
import { campaignApi, type CampaignApi } from '../test/campaign-kit.js';
import { useTestDatabase } from '../test/database.js';
import { startReceiver, type Receiver } from '../test/receiver.js';
import { useTemporal } from '../test/temporal.js';
import { authHeader } from '../test/credentials.js';

/*
 * Throws generated hostile input at every write endpoint and checks that the
 * API answers 2xx or a 4xx with a JSON error (a 400 naming field paths),
 * never a 5xx, and that a refused request changes nothing. Deterministic in CI
 * (fixed seed, printed); FC_SEED and FC_RUNS override both.
 */
const SEED = Number(process.env.FC_SEED ?? 20261129);
const RUNS = Number(process.env.FC_RUNS ?? 200);
/** A launch that succeeds starts a workflow: fewer of those keep the file within its time budget. */
const LAUNCH_RUNS = Math.max(1, Math.round(RUNS / 4));
console.log(`fuzz: fast-check seed ${SEED}, ${RUNS} runs per endpoint (${LAUNCH_RUNS} for launch); override with FC_SEED / FC_RUNS`);

const database = useTestDatabase();
const temporal = useTemporal(database);
let api: CampaignApi;
let receiver: Receiver;
const seeded = { channelId: '', segmentId: '', campaignId: '', userId: '' };
const PACKAGE_JSON_MARKER = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { description: string }).description;

// ---------- hostile atoms ----------

/** Raw JSON texts JSON.stringify cannot write: put in a body as a marker string, swapped in after stringifying. */
const RAW_TOKENS = [
  '9007199254740993',
  '-9007199254740993',
  '12345678901234567890',
  '1e400',
  '-1e400',
  '-0',
  '1e-400',
  `${'['.repeat(50_000)}${']'.repeat(50_000)}`,
  `${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`,
];
const rawToken = fc.integer({ min: 0, max: RAW_TOKENS.length - 1 }).map((i) => `@@RAW${i}@@`);

const LIQUID = [
  '{% for i in (1..100000000) %}x{% endfor %}',
  '{% for i in (1..1000) %}{% for j in (1..1000) %}{{ j }}{% endfor %}{% endfor %}',
  "{% assign a = 'xxxxxxxxxx' %}{% for i in (1..30) %}{% assign a = a | append: a %}{% endfor %}{{ a }}",
  "{% include 'package.json' %}",
  "{% render 'package.json' %}",
  "{% layout 'package.json' %}x",
  "{% include '../../../../etc/passwd' %}",
  '{{ user.name | default: "会员" }}',
  '{% raw %}',
  '{{',
  '{% if %}',
];

const weirdText = fc.constantFrom(
  '',
  ' ',
  'a\u0000b',
  '\u0000',
  '\ud800',
  'x\udc00y',
  '\u202eevil\u202c',
  '\u200f',
  '🎁👨‍👩‍👧',
  'a\r\nX-Evil: 1',
  '中文值',
  "'; DROP TABLE users; --",
  '" OR 1=1 --',
  '$1',
  '0000-01-01',
  '0000-01-01T00:00:00Z',
  '99999-01-01',
  '+099999-01-01T00:00:00Z',
  '9999-12-31T23:59:59Z',
  '2026-02-30',
  'now',
  'whsec_AAAA',
  '__proto__',
  'constructor',
  'Expect',
  'content-type',
  ...LIQUID,
);
const hugeText = fc.constantFrom('x'.repeat(10_001), 'é'.repeat(300_000), '{'.repeat(100_000), '9'.repeat(400));
const hostileScalar = fc.oneof(
  { weight: 5, arbitrary: weirdText },
  { weight: 1, arbitrary: hugeText },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 2, arbitrary: rawToken },
  { weight: 2, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null)) },
);
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: hostileScalar },
  { weight: 1, arbitrary: fc.array(hostileScalar, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.oneof(weirdText, fc.string({ maxLength: 6 })), hostileScalar, { maxKeys: 3 }) },
  { weight: 1, arbitrary: fc.constant(Array.from({ length: 2000 }, (_, i) => i)) },
);

// ---------- bodies ----------

type Path = (string | number)[];

interface Mutation {
  path: Path;
  op: 'set' | 'delete' | 'unknown';
  value: unknown;
}

function setAt(target: unknown, path: Path, mutate: (parent: Record<string | number, unknown>, key: string | number) => void) {
  let node = target as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) {
    if (node[key] === null || typeof node[key] !== 'object') node[key] = {};
    node = node[key] as Record<string | number, unknown>;
  }
  mutate(node, path[path.length - 1]!);
}

/** A valid body with one to three fields replaced, removed or joined by an unknown one; sometimes no object at all. */
function mutatedBody(base: () => Record<string, unknown>, paths: Path[]): fc.Arbitrary<{ text: string; contentType: string | null }> {
  const mutation: fc.Arbitrary<Mutation> = fc.record({
    path: fc.constantFrom(...paths),
    op: fc.constantFrom('set', 'set', 'set', 'delete', 'unknown'),
    value: hostileValue,
  });
  const fromBase = fc.array(mutation, { minLength: 0, maxLength: 3 }).map((mutations) => {
    const body = base();
    for (const m of mutations) {
      setAt(body, m.path, (parent, key) => {
        if (m.op === 'delete') delete parent[key];
        else if (m.op === 'set') parent[key] = m.value;
        else parent[`unknown_${String(key)}`] = m.value;
      });
    }
    return toText(body);
  });
  const whole = hostileValue.map(toText);
  const malformed = fc.oneof(
    fc.constantFrom('', '{', '{"a":', '[1,]', '{"a":1}}', 'null', '\u0000', '{"a":"\\ud800"}', "{'a':1}", 'NaN', '{"__proto__":{"x":1}}'),
    fc.string({ maxLength: 40 }),
  );
  const contentType = fc.constantFrom<string | null>('application/json', 'application/json', 'application/json', 'text/plain', 'application/x-www-form-urlencoded', null);
  return fc.record({
    text: fc.oneof({ weight: 8, arbitrary: fromBase }, { weight: 1, arbitrary: whole }, { weight: 1, arbitrary: malformed }),
    contentType,
  });
}

function toText(value: unknown): string {
  return JSON.stringify(value ?? null).replace(/"@@RAW(\d+)@@"/g, (_, i: string) => RAW_TOKENS[Number(i)]!);
}

// ---------- checks ----------

/** Row counts of every table a write endpoint touches, and the seeded rows themselves. */
async function snapshot() {
  const [row] = await database.db.execute<Record<string, string>>(sql`
    SELECT (SELECT count(*) FROM channels) AS channels, (SELECT count(*) FROM users) AS users,
           (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM segments) AS segments,
           (SELECT count(*) FROM campaigns) AS campaigns, (SELECT count(*) FROM campaign_runs) AS runs,
           (SELECT count(*) FROM attribute_types) AS attribute_types,
           (SELECT md5(c::text) FROM channels c WHERE id = ${seeded.channelId}::uuid) AS channel,
           (SELECT md5(s::text) FROM segments s WHERE id = ${seeded.segmentId}::uuid) AS segment,
           (SELECT md5(c::text) FROM campaigns c WHERE id = ${seeded.campaignId}::uuid) AS campaign,
           (SELECT md5(u::text) FROM users u WHERE id = ${seeded.userId}::uuid) AS "user"`);
  return row!;
}

async function send(method: string, path: string, body: { text: string; contentType: string | null }) {
  const started = performance.now();
  const res = await api.app.request(path, {
    method,
    headers: body.contentType ? { 'content-type': body.contentType, ...authHeader } : authHeader,
    body: body.text === '' ? undefined : body.text,
  });
  const text = await res.text();
  return { status: res.status, text, ms: performance.now() - started };
}


/** The property: never a 5xx; every 4xx a JSON error (400s naming field paths); a refusal writes nothing. */
async function checkAnswer(method: string, path: string, body: { text: string; contentType: string | null }) {
  const before = await snapshot();
  const res = await send(method, path, body);
  const after = await snapshot();
  const where = `${method} ${path} ${body.contentType} ${body.text.slice(0, 300)}`;
  expect(res.status, `${where} → ${res.text.slice(0, 300)}`).toBeLessThan(500);
  expect(res.ms, `${where} took ${Math.round(res.ms)} ms`).toBeLessThan(15_000);
  if (res.status >= 400) {
    const answer = JSON.parse(res.text) as { error?: unknown; issues?: { path?: unknown; message?: unknown }[] };
    expect(typeof answer.error, where).toBe('string');
    if (res.status === 400) {
      expect(answer.issues?.length, `${where} → ${res.text.slice(0, 300)}`).toBeGreaterThan(0);
      for (const issue of answer.issues!) {
        expect(typeof issue.path, where).toBe('string');
        expect(typeof issue.message, where).toBe('string');
      }
    }
    expect(after, `${where} → ${res.status} changed the database`).toEqual(before);
  } else if (path === '/api/events') {
    const answer = JSON.parse(res.text) as { accepted: number };
    expect(Number(after.events) - Number(before.events), where).toBe(answer.accepted);
  }
  return res;
}

let nameCounter = 0;
const unique = (prefix: string) => `${prefix}-${(nameCounter += 1)}`;

const channelBase = () => ({
  name: unique('fuzz channel'),
  url: `${receiver.url}/hook`,
  method: 'POST',
  headers: { 'X-Shop': 'nord' },
  auth: { type: 'basic', username: 'shop', password: 'pw' },
  userAttributeParams: [{ name: 'userid', attribute: '$id', identity: 'login' }],
  templateParams: [
    { name: 'amount', displayName: 'A', type: 'integer', default: 1 },
    { name: 'note', displayName: 'N', type: 'text' },
    { name: 'day', displayName: 'D', type: 'date' },
  ],
  timeoutMs: 2000,
  format: 'standard',
  batchSize: 10,
  retry: { initialIntervalMs: 5000, maxIntervalMs: 60000, maxDurationMs: 60000 },
});
const channelPaths: Path[] = [
  [], ['name'], ['url'], ['method'], ['headers'], ['headers', 'X-Shop'], ['headers', 'Content-Type'], ['headers', 'X-A\r\nB'], ['headers', 'Host'],
  ['auth'], ['auth', 'type'], ['auth', 'password'], ['auth', 'secret'], ['userAttributeParams'], ['userAttributeParams', 0, 'attribute'], ['userAttributeParams', 0, 'default'],
  ['templateParams'], ['templateParams', 0, 'default'], ['templateParams', 1, 'name'], ['templateParams', 2, 'default'], ['templateParams', 0, 'type'],
  ['timeoutMs'], ['format'], ['batchSize'], ['retry'], ['retry', 'maxDurationMs'], ['sampleValues'], ['sampleValues', 'note'], ['sampleValues', 'amount'],
];
const userBase = () => ({ loginId: unique('u'), visitorId: unique('v'), attributes: { tier: 'gold', points: 3, vip: true, birthday: '1990-02-28' } });
const userPaths: Path[] = [[], ['loginId'], ['visitorId'], ['attributes'], ['attributes', 'tier'], ['attributes', 'points'], ['attributes', 'birthday'], ['attributes', '\u0000'], ['attributes', 'x'.repeat(70)]];
const batchBase = () => ({ users: [userBase(), userBase()] });
const batchPaths: Path[] = [[], ['users'], ['users', 0], ['users', 1, 'attributes', 'tier'], ['users', 0, 'loginId'], ['users', 1, 'attributes']];
const identifyBase = () => ({ loginId: unique('u'), visitorId: unique('v') });
const eventBase = () => ({
  events: [
    { name: 'add_to_cart', loginId: unique('u'), properties: { sku: 'A1', price: 9.5, tags: ['x'] }, time: new Date(Date.now() - 60_000).toISOString(), clientEventId: unique('c') },
    { name: 'pay_order', visitorId: unique('v'), clientEventId: unique('c') },
  ],
});
const eventPaths: Path[] = [[], ['events'], ['events', 0], ['events', 0, 'name'], ['events', 0, 'loginId'], ['events', 1, 'visitorId'], ['events', 0, 'properties'], ['events', 0, 'properties', 'sku'], ['events', 0, 'properties', '\ud800'], ['events', 0, 'time'], ['events', 1, 'time'], ['events', 0, 'clientEventId']];
const ruleBase = () => ({
  all: [
    { attribute: 'tier', op: 'equals', value: 'gold' },
    { event: 'add_to_cart', window: { type: 'since', date: '2026-01-01' }, where: [{ property: 'sku', op: 'in', value: ['A1'] }] },
    { any: [{ noEvent: 'pay_order', window: { type: 'lastDays', days: 7 } }, { identity: 'hasLoginId' }] },
  ],
});
const segmentBase = () => ({ name: unique('segment'), rule: ruleBase(), timeZone: 'Asia/Shanghai' });
const segmentPaths: Path[] = [[], ['name'], ['rule'], ['timeZone'], ['rule', 'all', 0, 'value'], ['rule', 'all', 0, 'op'], ['rule', 'all', 1, 'window', 'date'], ['rule', 'all', 1, 'where', 0, 'value'], ['rule', 'all', 1, 'where', 0, 'property'], ['rule', 'all', 2, 'any', 0, 'window', 'days'], ['rule', 'all', 1, 'count'], ['at']];
const campaignBase = () => ({
  name: unique('campaign'),
  segmentId: seeded.segmentId,
  channelId: seeded.channelId,
  identity: 'login',
  templateValues: { amount: 100, note: '{{ user.tier }} 会员', day: '2026-12-01' },
  trigger: { type: 'once', sendAt: new Date(Date.now() + 86_400_000).toISOString() },
  expiresAt: new Date(Date.now() + 2 * 86_400_000).toISOString(),
});
const campaignPaths: Path[] = [[], ['name'], ['segmentId'], ['channelId'], ['identity'], ['templateValues'], ['templateValues', 'amount'], ['templateValues', 'note'], ['templateValues', 'day'], ['templateValues', 'other'], ['trigger'], ['trigger', 'sendAt'], ['trigger', 'type'], ['expiresAt']];

beforeAll(async () => {
  api = campaignApi(database, temporal);
  receiver = await startReceiver();
  const user = await api.call('POST', '/api/users', { loginId: 'u-seed', visitorId: 'v-seed', attributes: { tier: 'gold', name: '小雪' } });
  const channel = await api.call('POST', '/api/channels', channelBase());
  const segment = await api.call('POST', '/api/segments', segmentBase());
  Object.assign(seeded, { userId: user.body.id, channelId: channel.body.id, segmentId: segment.body.id });
  const campaign = await api.call('POST', '/api/campaigns', campaignBase());
  expect([user.status, channel.status, segment.status, campaign.status]).toEqual([200, 201, 201, 201]);
  seeded.campaignId = campaign.body.id;
});
afterAll(() => receiver.close());

const params = (runs = RUNS) => ({ seed: SEED, numRuns: runs, endOnFailure: true });

describe('every write endpoint under generated hostile input', () => {
  const cases: [string, string, () => string, fc.Arbitrary<{ text: string; contentType: string | null }>][] = [
    ['POST', 'channels create', () => '/api/channels', mutatedBody(channelBase, channelPaths)],
    ['PATCH', 'channels patch', () => `/api/channels/${seeded.channelId}`, mutatedBody(() => ({ headers: { 'X-Shop': 'x' }, templateParams: channelBase().templateParams, timeoutMs: 3000 }), channelPaths)],
    ['POST', 'channels test (unsaved)', () => '/api/channels/test', mutatedBody(() => ({ ...channelBase(), sampleValues: { note: 'hi', amount: 3, day: '2026-12-01' } }), channelPaths)],
    ['POST', 'channels test (saved)', () => `/api/channels/${seeded.channelId}/test`, mutatedBody(() => ({ sampleValues: { note: 'hi', amount: 3 } }), [[], ['sampleValues'], ['sampleValues', 'note'], ['sampleValues', 'amount'], ['sampleValues', 'day']])],
    ['POST', 'users upsert', () => '/api/users', mutatedBody(userBase, userPaths)],
    ['POST', 'users batch', () => '/api/users', mutatedBody(batchBase, batchPaths)],
    ['POST', 'users identify', () => '/api/users/identify', mutatedBody(identifyBase, [[], ['loginId'], ['visitorId']])],
    ['POST', 'events', () => '/api/events', mutatedBody(eventBase, eventPaths)],
    ['POST', 'segments create', () => '/api/segments', mutatedBody(segmentBase, segmentPaths)],
    ['PATCH', 'segments patch', () => `/api/segments/${seeded.segmentId}`, mutatedBody(() => ({ rule: ruleBase() }), segmentPaths)],
    ['POST', 'segments preview', () => '/api/segments/preview', mutatedBody(() => ({ rule: ruleBase(), timeZone: 'UTC', at: new Date().toISOString() }), segmentPaths)],
    ['POST', 'campaigns create', () => '/api/campaigns', mutatedBody(campaignBase, campaignPaths)],
    ['PATCH', 'campaigns patch', () => `/api/campaigns/${seeded.campaignId}`, mutatedBody(() => ({ templateValues: { amount: 5 }, trigger: { type: 'once', sendAt: 'now' } }), campaignPaths)],
    ['POST', 'campaigns test', () => `/api/campaigns/${seeded.campaignId}/test`, mutatedBody(() => ({ user: 'u-seed' }), [[], ['user']])],
  ];

  it.each(cases)('%s %s', async (method, _label, path, body) => {
    await fc.assert(fc.asyncProperty(body, async (b) => void (await checkAnswer(method, path(), b))), params());
  });

  it('launch and test-send of drafts whose stored values are hostile (as older versions could save them)', async () => {
    // What PostgreSQL could store: no NUL, no raw-token markers.
    const storable = fc.oneof(weirdText, hugeText, fc.string({ maxLength: 30 }), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean()).filter((v) => typeof v !== 'string' || textProblem(v) === undefined);
    const stored = fc.record({
      templateValues: fc.record({ amount: fc.oneof(fc.constant(100), storable), note: fc.oneof(fc.constantFrom(...LIQUID), storable), day: fc.oneof(fc.constant('2026-12-01'), storable) }, { requiredKeys: [] }),
      sendAt: fc.constantFrom('now', '9999-12-31T00:00:00Z', '0000-01-01T00:00:00Z', new Date(Date.now() - 3_600_000).toISOString()),
    });
    const outcomes = { launched: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(stored, async ({ templateValues, sendAt }) => {
        // fast-check builds null-prototype records; stored values are plain JSON.
        const values = JSON.parse(JSON.stringify(templateValues)) as Record<string, unknown>;
        const [draft] = await database.db
          .insert(campaigns)
          .values({ name: unique('stored'), segmentId: seeded.segmentId, channelId: seeded.channelId, identity: 'login', templateValues: values, trigger: { type: 'once', sendAt }, status: 'draft' })
          .returning();
        const tested = await checkAnswer('POST', `/api/campaigns/${draft!.id}/test`, { text: '{"user":"u-seed"}', contentType: 'application/json' });
        expect(tested.status === 200 || tested.status === 409, tested.text).toBe(true);
        const launched = await checkAnswer('POST', `/api/campaigns/${draft!.id}/launch`, { text: '', contentType: null });
        if (launched.status === 200) {
          outcomes.launched += 1;
          expect((await api.call('POST', `/api/campaigns/${draft!.id}/cancel`)).status).toBe(202);
        } else {
          outcomes.refused += 1;
          expect(launched.status, launched.text).toBe(409);
          const [row] = await database.db.select().from(campaigns).where(eq(campaigns.id, draft!.id));
          expect(row!.status).toBe('draft');
        }
      }),
      params(LAUNCH_RUNS),
    );
    // Both paths were exercised, or the property proved little.
    if (LAUNCH_RUNS >= 20) expect(Math.min(outcomes.launched, outcomes.refused)).toBeGreaterThan(0);
  });

  it('never sends the contents of a file a template includes', async () => {
    for (const note of ["{% include 'package.json' %}", "{% render 'package.json' %}", "{% layout 'package.json' %}x"]) {
      await database.db.update(campaigns).set({ templateValues: { amount: 1, note } }).where(eq(campaigns.id, seeded.campaignId));
      const sentBefore = receiver.requests.length;
      const res = await checkAnswer('POST', `/api/campaigns/${seeded.campaignId}/test`, { text: '{"user":"u-seed"}', contentType: 'application/json' });
      // Either refused (4xx) or rendered without the file: a template must never read the server's files.
      expect(res.text.includes(PACKAGE_JSON_MARKER), `${note}: the answer holds package.json`).toBe(false);
      const leaked = receiver.requests.slice(sentBefore).some((request) => request.body.includes(PACKAGE_JSON_MARKER));
      expect(leaked, `${note}: the request sent holds package.json`).toBe(false);
    }
  });
});

