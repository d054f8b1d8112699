import { afterAll, describe, expect, it } from 'vitest';
import type { TemplateParam } from '../contracts/channel.js';
import { saturateEventLoop } from '../test/event-loop.js';
import { compileTemplateValues } from './render.js';
import { ALLOWED_FILTERS, MAX_RENDERED_CHARS, TEMPLATE_CHAR_LIMIT, TEMPLATE_STEP_LIMIT, TemplateError } from './template.js';
import { closeTemplatePool, renderInPool } from './template-pool.js';

const text = (name: string): TemplateParam => ({ name, displayName: name, type: 'text', required: false });
const user = { id: 'u', loginId: 'u-1', visitorId: null, attributes: { name: '小雪', tags: ['a', 'b'] } };

async function failureOf(template: string): Promise<TemplateError> {
  try {
    await compileTemplateValues([text('message')], { message: template })(user);
  } catch (error) {
    if (error instanceof TemplateError) return error;
    throw error;
  }
  throw new Error('rendered without error');
}

describe('templates', () => {
  afterAll(closeTemplatePool);

  it('renders per user and passes non-template values through', () => {
    const render = compileTemplateValues([text('message'), { ...text('amount'), type: 'integer' }], { message: 'Hi {{ user.name }} ({{ login_id }})', amount: 100 });
    // Synchronously: a template this small renders on the caller's thread.
    expect(render(user)).toEqual({ message: 'Hi 小雪 (u-1)', amount: 100 });
  });

  it('cannot read files: include, render and layout find nothing', async () => {
    for (const tag of ["{% include 'package.json' %}", "{% render 'docker-compose.yml' %}", "{% layout '../package.json' %}x", "{% include '/etc/passwd' %}"]) {
      const error = await failureOf(tag);
      expect(error.message).not.toContain('hookcast');
    }
  });

  it('cannot read files however the tag is spelled or its output is captured and sliced', async () => {
    const absolute = new URL('../package.json', import.meta.url).pathname;
    for (const tag of [
      "{% include 'docker-compose.yml' %}",
      "{% include '../docker-compose.yml' %}",
      "{% render '../../package.json' %}",
      `{% include '${absolute}' %}`,
      `{% render "${absolute}" %}`,
      "{% layout 'package.json' %}{% block x %}{% endblock %}",
      "{% capture f %}{% include 'package.json' %}{% endcapture %}{{ f | slice: 0, 9000 }}",
      "{% capture f %}{% include 'docker-compose.yml' %}{% endcapture %}{{ f | slice: 200, 400 }}",
      "{% include 'package.json' as x %}{{ x }}",
      "{% assign name = 'package.json' %}{% include name %}",
    ]) {
      let rendered = '';
      try {
        rendered = String((await compileTemplateValues([text('message')], { message: tag })(user)).message);
      } catch (error) {
        if (!(error instanceof TemplateError)) throw error;
        expect(error.message, tag).not.toMatch(/hookcast|POSTGRES|password|"scripts"/);
        continue;
      }
      expect(rendered, tag).not.toMatch(/hookcast|POSTGRES|password|"scripts"/);
    }
  });

  it('bounds work: nested loops and a huge range use up the budget and are broken, not retried', async () => {
    const nested = await failureOf('{% for a in (1..3000) %}{% for b in (1..3000) %}{{ b }}{% endfor %}{% endfor %}');
    expect(nested).toBeInstanceOf(TemplateError);
    expect(nested.message).toContain(`over ${TEMPLATE_STEP_LIMIT} steps`);
    expect((await failureOf('{% for i in (1..5000000) %}x{% endfor %}')).message).toContain('too much text');
    // Empty bodies still cost a step per iteration: three loops of 1,000 over one range are a billion iterations otherwise.
    const empty = await failureOf('{% assign r = (1..1000) %}{% for a in r %}{% for b in r %}{% for c in r %}{% endfor %}{% endfor %}{% endfor %}');
    expect(empty.message).toContain('too much work');
  });

  it('bounds the work inside one node: filters, operators, branches and lookups are charged before they run', async () => {
    for (const template of [
      // Sorting a large range, again and again, in one output.
      `{% assign r = (1..20000) %}{{ r${' | sort'.repeat(40)} | size }}`,
      // contains walks the array: 400 of them in one condition.
      `{% assign r = (1..2000) %}{% if ${Array(400).fill('r contains 5000').join(' or ')} %}x{% endif %}`,
      // A long lookup path evaluated in a loop.
      `{% for i in (1..3000) %}{{ user${'.a'.repeat(500)} }}{% endfor %}`,
      // when-values and elsif conditions are evaluated on every render of their tag.
      `{% for i in (1..3000) %}{% case i %}{% when ${Array(500).fill('0').join(', ')} %}x{% endcase %}{% endfor %}`,
      `{% for i in (1..3000) %}{% if i == 0 %}${'{% elsif i == 0 %}'.repeat(300)}{% endif %}{% endfor %}`,
      // Property filters evaluate a lookup per element.
      '{% assign r = (1..5000) %}{% for i in (1..100) %}{{ r | where: "x", 1 | size }}{% endfor %}',
    ]) {
      const error = await failureOf(template);
      expect(error.message, template.slice(0, 60)).toMatch(/too much work|too much text/);
    }
  });

  it('allows only listed tags and filters: expression filters and file tags do not parse', async () => {
    const bomb = await failureOf(`{% assign r = (1..3000) %}{{ r | find_exp: "x", "r | has_exp: 'y', 'false'" }}`);
    expect(bomb.message).toContain('filter "find_exp" is not allowed');
    for (const name of ['where_exp', 'reject_exp', 'group_by_exp', 'has_exp', 'find_index_exp', 'sample', 'strip_html']) {
      expect((await failureOf(`{{ user.tags | ${name}: "x", "x" }}`)).message).toContain(`filter "${name}" is not allowed`);
    }
    for (const tag of ['{% tablerow t in user.tags %}{% endtablerow %}', '{% echo "x" %}', '{% liquid echo "x" %}', '{% block b %}{% endblock %}']) {
      expect((await failureOf(tag)).message).toMatch(/tag "\w+" is not allowed/);
    }
    expect(ALLOWED_FILTERS.some((f) => f.endsWith('_exp'))).toBe(false);
  });

  it('builds no unbounded text: doubling captures and repeated literals run out of characters', async () => {
    const doubling = await failureOf(`{% capture s %}xxxxxxxxxx{% endcapture %}${'{% capture s %}{{ s }}{{ s }}{% endcapture %}'.repeat(20)}{{ s | size }}`);
    expect(doubling.message).toContain(`over ${TEMPLATE_CHAR_LIMIT} characters`);
    const literal = await failureOf(`{% for i in (1..5000) %}${'x'.repeat(1000)}{% endfor %}`);
    expect(literal.message).toMatch(/too much (text|work)/);
  });

  it('caps the output however it is built', async () => {
    const doubling = '{% assign s = s | append: s %}'.repeat(11);
    const error = await failureOf(`{% assign s = "xxxxxxxxxx" %}${doubling}{% capture big %}{{ s }}{% endcapture %}{{ big | slice: 0, ${MAX_RENDERED_CHARS + 5} }}`);
    expect(error.message).toMatch(new RegExp(`more than ${MAX_RENDERED_CHARS} characters|too much text`));
    // Building far more than that in memory is refused before the output is even looked at.
    expect((await failureOf(`{% assign s = "xxxxxxxxxx" %}${'{% assign s = s | append: s %}'.repeat(20)}{{ s | size }}`)).message).toContain('too much text');
  });

  it('renders a template that does not fit inline in the pool, with the same result', async () => {
    const tags = Array.from({ length: 300 }, (_, i) => `t${i}`);
    const render = compileTemplateValues([text('message')], { message: '{% for t in user.tags %}{{ t | upcase }}{% unless forloop.last %},{% endunless %}{% endfor %}' });
    expect(render({ ...user, attributes: { tags: ['a', 'b'] } })).toEqual({ message: 'A,B' });
    const large = render({ ...user, attributes: { tags } });
    expect(large).toBeInstanceOf(Promise);
    expect(await large).toEqual({ message: tags.map((t) => t.toUpperCase()).join(',') });
  });

  it('stops a pooled render that overruns and counts the template broken', async () => {
    // The budgets stop every allowed template long before; this checks the last line of defence on its own.
    const error = await renderInPool([text('message')], { message: '{{ x }}' }, user, { stallMs: 4_000, timeoutMs: 1_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TemplateError);
    expect((error as TemplateError).message).toContain('its render was stopped');
    // The pool still renders afterwards, on a fresh thread.
    expect(await renderInPool([text('message')], { message: '{{ login_id }}' }, user)).toEqual({ message: 'u-1' });
  });

  it('renders in microseconds while the event loop is busy: the budget is the template’s own work', async () => {
    const render = compileTemplateValues([text('message')], { message: 'Hi {{ user.phone }}' });
    // Keep the event loop saturated with other work, as 32 concurrent sends per batch do.
    const stop = saturateEventLoop();
    let failures = 0;
    for (let i = 0; i < 5_000; i += 1) {
      try {
        const out = render({ ...user, attributes: { phone: `138${i}` } });
        if (out instanceof Promise) throw new Error('a one-lookup template went to the pool');
      } catch {
        failures += 1;
      }
      if (i % 100 === 0) await new Promise((r) => setImmediate(r));
    }
    await stop();
    expect(failures).toBe(0);
  });
});
