import type { FormInstance } from 'antd';
import type { TFunction } from 'i18next';
import type { z } from 'zod';
import { flattenIssue, issueCode, type CodeParams } from '../../contracts/errors.js';
import { ApiFailure } from './api.js';

/** An issue as the API answers it (and as the console's own checks find it). */
export interface Issue {
  path: string;
  message: string;
  code?: string;
  params?: CodeParams;
}

const DURATION_WORD = /^(\d+(?:\.\d+)?) (second|minute|hour|day|week)s?$/;

/** A param in the operator's language: kinds, statuses and English durations ("31 days") are words too. */
function translateParam(t: TFunction, key: string, value: string | number): string | number {
  if (typeof value !== 'string') return value;
  if (key === 'kind') return t(`kind_${value}`, { defaultValue: value });
  if (key === 'what') return t(`what_${value}`, { defaultValue: value });
  if (key === 'type') return t(`opt_${value}`, { defaultValue: value });
  if (key === 'status') return t(`st_${value}`, { defaultValue: t(`trig_${value}`, { defaultValue: value }) });
  const duration = DURATION_WORD.exec(value);
  if (duration) return t(`dur_${duration[2]}`, { n: Number(duration[1]) });
  return value;
}

function translateParams(t: TFunction, params: CodeParams | undefined): Record<string, string | number> {
  return Object.fromEntries(Object.entries(params ?? {}).map(([k, v]) => [k, translateParam(t, k, v)]));
}

/**
 * A field issue in the operator's language, from its code and params; an issue
 * without a code (an older API) is coded from its English text the way the API does.
 */
export function issueText(t: TFunction, issue: Issue): string {
  const coded = issue.code ? { code: issue.code, params: issue.params ?? {} } : issueCode(issue.message);
  return t(`issue_${coded.code}`, { ...translateParams(t, coded.params), defaultValue: issue.message });
}

/** A refused call's headline in the operator's language ("找不到用户"), from the answer's code. */
export function failureText(t: TFunction, error: unknown): string {
  if (error instanceof ApiFailure) {
    const body = error.body as ApiFailure['body'] & { params?: CodeParams };
    return t(`err_${body.error}`, { ...translateParams(t, body.params), defaultValue: body.message });
  }
  return t('err_unknown');
}

/** A refused call in full: the headline, then each issue ("channelId: 上线前必须填写"). */
export function failureDetail(t: TFunction, error: unknown): string {
  const head = failureText(t, error);
  const issues = error instanceof ApiFailure ? (error.body.issues ?? []) : [];
  return issues.length === 0 ? head : `${head}：${issues.map((i) => `${i.path} ${issueText(t, i)}`).join('；')}`;
}

/** The issues zod finds in a form's body, coded like the API's. */
export function zodIssues(error: z.ZodError): Issue[] {
  return error.issues.flatMap((issue) => flattenIssue(issue));
}

/**
 * A body built from a form, checked with the schema the API validates that
 * route's body with (contracts/): the body typed as the route takes it, or
 * the API's own 400 (its issues coded the same way) thrown before anything
 * is sent. The parse is what makes the type true, so no call site casts.
 */
export function checkedBody<S extends z.ZodType>(schema: S, body: unknown, message: string): z.input<S> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new ApiFailure(400, { error: 'validation_failed', message, issues: zodIssues(parsed.error) });
  return body as z.input<S>;
}

type Name = (string | number)[];
const toName = (path: string): Name => path.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p));
const key = (name: readonly (string | number)[]) => name.join('.');

/**
 * A form's errors kept true to what is on screen. The API's and the form's own
 * issues are put on their fields; after every change the form is checked
 * again and each field that shows an error gets what the check says of it now
 * (nothing once it is valid). An issue only the server can find (a duplicate
 * name, an unknown id) stays until its own field changes.
 */
export function createFormIssues(form: FormInstance, t: TFunction, check: () => Issue[], place: (issue: Issue) => Issue = (i) => i) {
  const fromServer = new Set<string>();
  function show(issues: Issue[], server: boolean) {
    const placed = issues.map(place);
    const byField = new Map<string, string[]>();
    for (const issue of placed) byField.set(issue.path, [...(byField.get(issue.path) ?? []), issueText(t, issue)]);
    for (const path of byField.keys()) {
      if (server) fromServer.add(path);
      else fromServer.delete(path);
    }
    form.setFields([...byField].map(([path, errors]) => ({ name: toName(path), errors: [...new Set(errors)] })));
  }
  /** Call from onValuesChange: `changed` is antd's changed-values object. */
  function recheck(changed: Record<string, unknown>) {
    const touched = new Set<string>();
    const walk = (value: unknown, prefix: string) => {
      touched.add(prefix);
      if (value && typeof value === 'object' && !('format' in value)) for (const [k, v] of Object.entries(value)) walk(v, prefix ? `${prefix}.${k}` : k);
    };
    walk(changed, '');
    const now = new Map<string, string[]>();
    for (const issue of check().map(place)) now.set(issue.path, [...(now.get(issue.path) ?? []), issueText(t, issue)]);
    const shown = form.getFieldsError().filter((f) => f.errors.length > 0);
    const updates = shown.flatMap((f) => {
      const path = key(f.name);
      const current = now.get(path) ?? [];
      const changedHere = [...touched].some((p) => p !== '' && (p === path || path.startsWith(`${p}.`) || p.startsWith(`${path}.`)));
      if (fromServer.has(path) && !changedHere && current.length === 0) return [];
      if (changedHere || current.length === 0) fromServer.delete(path);
      return [{ name: f.name, errors: [...new Set(current)] }];
    });
    if (updates.length > 0) form.setFields(updates);
  }
  return { show, recheck };
}

/** Puts each issue ("templateParams.3.default") on its form field, in the operator's language. */
export function showIssues(form: FormInstance, t: TFunction, issues: Issue[]) {
  const byField = new Map<string, string[]>();
  for (const i of issues) byField.set(i.path, [...new Set([...(byField.get(i.path) ?? []), issueText(t, i)])]);
  form.setFields([...byField].map(([path, errors]) => ({ name: toName(path), errors })));
}
