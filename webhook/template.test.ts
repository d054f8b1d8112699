import { describe, expect, it } from 'vitest';
import type { TemplateParam } from '../channels/schema.js';
import { saturateEventLoop } from '../test/event-loop.js';
import { compileTemplateValues, MAX_RENDERED_CHARS, TemplateError } from './template.js';

const text = (name: string): TemplateParam => ({ name, displayName: name, type: 'text', required: false });
const user = { id: 'u', loginId: 'u-1', visitorId: null, attributes: { name: '小雪', tags: ['a', 'b'] } };

function failureOf(template: string): TemplateError {
  try {
    compileTemplateValues([text('message')], { message: template })(user);
  } catch (error) {
    if (error instanceof TemplateError) return error;
    throw error;
  }
  throw new Error('rendered without error');
}

describe('templates', () => {
  it('renders per user and passes non-template values through', () => {
    const render = compileTemplateValues([text('message'), { ...text('amount'), type: 'integer' }], { message: 'Hi {{ user.name }} ({{ login_id }})', amount: 100 });
    expect(render(user)).toEqual({ message: 'Hi 小雪 (u-1)', amount: 100 });
  });

  it('cannot read files: include, render and layout find nothing', () => {
    for (const tag of ["{% include 'package.json' %}", "{% render 'docker-compose.yml' %}", "{% layout '../package.json' %}x", "{% include '/etc/passwd' %}"]) {
      const error = failureOf(tag);
      expect(error.failure).toBe('broken');
      expect(error.message).not.toContain('hookcast');
    }
  });

  it('cannot read files however the tag is spelled or its output is captured and sliced', () => {
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
        rendered = String(compileTemplateValues([text('message')], { message: tag })(user).message);
      } catch (error) {
        if (!(error instanceof TemplateError)) throw error;
        expect(error.message, tag).not.toMatch(/hookcast|POSTGRES|password|"scripts"/);
        continue;
      }
      expect(rendered, tag).not.toMatch(/hookcast|POSTGRES|password|"scripts"/);
    }
  });

  it('bounds work: a loop that runs too long is a retryable limit, a huge range a broken template', () => {
    expect(failureOf('{% for a in (1..3000) %}{% for b in (1..3000) %}{{ b }}{% endfor %}{% endfor %}').failure).toBe('limit');
    expect(failureOf('{% for i in (1..5000000) %}x{% endfor %}').failure).toBe('broken');
  });

  it('caps the output however it is built', () => {
    const doubling = '{% assign s = s | append: s %}'.repeat(11);
    const error = failureOf(`{% assign s = "xxxxxxxxxx" %}${doubling}{% capture big %}{{ s }}{% endcapture %}{{ big | slice: 0, ${MAX_RENDERED_CHARS + 5} }}`);
    expect(error.failure).toBe('broken');
    expect(error.message).toContain(`more than ${MAX_RENDERED_CHARS} characters`);
    // Building far more than that in memory is refused before the output is even looked at.
    expect(failureOf(`{% assign s = "xxxxxxxxxx" %}${'{% assign s = s | append: s %}'.repeat(20)}{{ s | size }}`).message).toContain('memory alloc limit exceeded');
  });

  it('renders in microseconds while the event loop is busy: the budget is the template’s own work', async () => {
    const render = compileTemplateValues([text('message')], { message: 'Hi {{ user.phone }}' });
    // Keep the event loop saturated with other work, as 32 concurrent sends per batch do.
    const stop = saturateEventLoop();
    let failures = 0;
    for (let i = 0; i < 5_000; i += 1) {
      try {
        render({ ...user, attributes: { phone: `138${i}` } });
      } catch {
        failures += 1;
      }
      if (i % 100 === 0) await new Promise((r) => setImmediate(r));
    }
    await stop();
    expect(failures).toBe(0);
  });
});
