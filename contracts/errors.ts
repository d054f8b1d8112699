import type { z } from 'zod';

/*
 * Stable codes for everything the API refuses (a leaf: the API's errors in
 * lib/errors.ts and the console's forms both read it). The English `message` stays for
 * API clients and logs; `code` and `params` are what a client (the console)
 * translates. Every code an answer can carry is listed here once
 * (API_ERROR_CODES for the answer's `error`, ISSUE_CODES for a field issue's
 * `code`), and console/src/messages.test.ts fails when one has no zh-CN or en text.
 */

/** A parameter of a code: short values (numbers, field names, ids), never user data. */
export type CodeParams = Record<string, string | number>;

/** The answer's `error` code, with the English sense of each (docs/api-errors.md lists them too). */
export const API_ERROR_CODES = {
  validation_failed: 'a field is invalid (see issues)',
  invalid_json: 'the body is not valid JSON',
  payload_too_large: 'the body is too large',
  not_found: '{{what}} not found',
  conflict: 'refused in the current state (see issues)',
  invalid_transition: 'cannot {{event}} a campaign that is {{from}}',
  cannot_launch: 'the campaign cannot launch (see issues)',
  cannot_test: 'the campaign cannot be tested (see issues)',
  channel_in_use: 'a live campaign uses this channel',
  segment_in_use: 'a live campaign uses this segment',
  unauthorized: 'the API key is missing, unknown or revoked',
  forbidden: 'this key may not do that',
  too_many_failed_attempts: 'too many wrong API keys; wait',
  ingest_busy: 'ingestion is at capacity; retry shortly',
  database_unavailable: 'PostgreSQL is unreachable',
  temporal_unavailable: 'Temporal is unreachable',
  unavailable: 'no answer in time; retry shortly',
  not_ready: 'not ready',
  internal: 'internal error',
} as const;
export type ApiErrorCode = keyof typeof API_ERROR_CODES;

/**
 * A field issue's code: matched from the English message the schemas and
 * stores write (first match wins), the named groups becoming params; zod's own
 * issue codes map to the same codes when a message is zod's default.
 */
const ISSUE_PATTERNS: readonly [IssueCode, RegExp][] = [
  ['required_to_launch', /^is required to launch$/],
  ['required_to_test', /^is required to test$/],
  ['required_with_times', /^is required when times is more than 1/],
  ['required', /^is required(?: \((?<label>.+)\))?$/],
  ['unknown_field', /^is not a known field$/],
  ['not_empty', /^must not be empty$/],
  ['too_long', /^must be at most (?<maximum>\d+) characters$/],
  ['too_short', /^must be at least (?<minimum>\d+) characters$/],
  ['duration_too_short', /^must be at least (?<seconds>\d+) s$/],
  ['duration_too_long', /^must be at most (?<days>\d+) days \((?<iso>P\d+D)\)$/],
  ['too_large', /^must be at most (?<maximum>-?[\d.]+)(?: \(.+\))?$/],
  ['too_small', /^must be at least (?<minimum>-?[\d.]+)$/],
  ['integer_range', /^must be (?:a whole number.* from )?(?<minimum>-?\d+) to (?<maximum>-?\d+)$/],
  ['too_many', /^(?:a rule has )?at most (?<maximum>\d+) /],
  ['too_many', /^must list at most (?<maximum>\d+) values$/],
  ['too_few', /^must (?:list|name) at least one /],
  ['invalid_identifier', /plain (?:attribute )?identifier|PostgreSQL identifier/],
  ['invalid_url', /^must be an? (?:http\(s\)|http:\/\/ or https:\/\/) URL$/],
  ['url_has_credentials', /^must not contain a user name or password/],
  ['credentials_again', /^the URL's scheme, host or port changed/],
  ['reserved_header', / is set by hookcast and cannot be overridden$/],
  ['connection_header', / is a connection-level header and cannot be sent/],
  ['invalid_header_name', /^must be a valid HTTP header name/],
  ['invalid_header_value', /^must hold only printable ASCII, tab or Latin-1/],
  ['invalid_duration', /ISO 8601 duration/],
  ['duration_out_of_range', /^must be between (?<minimum>.+) and (?<maximum>.+)$/],
  ['invalid_datetime', /ISO 8601 date-time/],
  ['invalid_date', /^must be (?:a calendar date YYYY-MM-DD|an ISO 8601 date \(YYYY-MM-DD\) or date-time)$/],
  ['invalid_time_of_day', /^must be a time of day HH:MM/],
  ['invalid_time_zone', /IANA time zone|time zone PostgreSQL knows/],
  ['already_past', /^is already past$/],
  ['too_far_ahead', /^must be at most one year|^must not be more than a day in the future$/],
  ['must_be_after', /^must be after (?<other>.+)$/],
  ['not_before', /^must not be before (?<other>.+)$/],
  ['empty_window', /^must differ from from/],
  ['duplicate', /^must be unique$|^duplicate parameter name "(?<name>[^"]*)"/],
  ['unknown_reference', /^no (?<kind>channel|segment|user|campaign) has this id$/],
  ['reference_gone', /^the (?<kind>channel|segment) no longer exists$/],
  ['invalid_id', /^must be an? (?<kind>channel|segment|campaign|user) id$/],
  ['invalid_user_key', /^must be a login id, visitor id or user id$/],
  ['unknown_parameter', /^is not a (?:template )?parameter of (?:this|the) channel$/],
  ['invalid_secret', /^must be whsec_/],
  ['secret_auth_only', /^only a channel with secret auth/],
  ['invalid_cursor', /^must be a cursor from a previous page$/],
  ['not_recurring_field', /^is not used by recurring campaigns/],
  ['status_is', /^is (?<status>draft|scheduled|running|paused|completed|cancelled|failed|once|recurring|event)(?:, not draft)?$/],
  ['not_set', /^is not set$/],
  ['attribute_type', /^must be an? (?<type>\w+): (?<attribute>\S+) is an? \w+ attribute$/],
  ['default_type', /^default (?:must|is) .* \(type (?<type>\w+)\)$/],
  ['must_be_integer', /^must be (?:an integer|a whole number(?: of \w+)?)$/],
  ['must_be_number', /^must be a number$/],
  ['must_be_text', /^must be text$/],
  ['must_be_boolean', /^must be true or false$/],
  ['one_of', /^must be one of (?<values>.+)$/],
  ['one_of', /^must be (?<values>"[^"]+"(?:, "[^"]+")*,? or "[^"]+")/],
  ['day_of_week', /^must be a day: /],
  ['day_of_month', /^must be a day of the month/],
  ['unsafe_integer', /^integer beyond/],
  ['number_out_of_range', /beyond the range of a double/],
  ['invalid_json', /^is not valid JSON$/],
  ['template_error', /^template of (?<param>\S+) /],
  ['invalid_type', /^expected (?<expected>\w+)/],
];

/** Every field issue code, with its English sense (params in braces). */
export const ISSUE_CODES = {
  required: 'is required',
  required_to_launch: 'is required to launch',
  required_to_test: 'is required to test',
  required_with_times: 'is required when times is more than 1',
  unknown_field: 'is not a known field',
  not_empty: 'must not be empty',
  too_long: 'must be at most {{maximum}} characters',
  too_short: 'must be at least {{minimum}} characters',
  too_large: 'must be at most {{maximum}}',
  too_small: 'must be at least {{minimum}}',
  integer_range: 'must be a whole number from {{minimum}} to {{maximum}}',
  too_many: 'at most {{maximum}}',
  too_few: 'must list at least one',
  duration_too_short: 'must be at least {{seconds}} s',
  duration_too_long: 'must be at most {{days}} days',
  invalid_identifier: 'must be a plain identifier (letters, digits and _)',
  invalid_url: 'must be an http(s) URL',
  url_has_credentials: 'must not contain a user name or password',
  credentials_again: "the URL's host changed: give the credentials again",
  reserved_header: 'is a header hookcast sets itself',
  connection_header: 'is a connection-level header, not sent as a channel header',
  invalid_header_name: 'must be a valid HTTP header name',
  invalid_header_value: 'must hold only printable ASCII, tab or Latin-1 characters',
  invalid_duration: 'must be a duration (ISO 8601, such as P1D)',
  duration_out_of_range: 'must be between {{minimum}} and {{maximum}}',
  invalid_datetime: 'must be a date and time with a time zone',
  invalid_date: 'must be a calendar date YYYY-MM-DD',
  invalid_time_of_day: 'must be a time of day HH:MM',
  invalid_time_zone: 'must be a time zone such as Asia/Shanghai',
  already_past: 'is already past',
  too_far_ahead: 'is too far ahead',
  must_be_after: 'must be after {{other}}',
  not_before: 'must not be before {{other}}',
  empty_window: 'must differ from from',
  duplicate: 'must be unique',
  unknown_reference: 'no {{kind}} has this id',
  reference_gone: 'the {{kind}} no longer exists',
  invalid_id: 'must be a {{kind}} id',
  invalid_user_key: 'must be a login id, visitor id or user id',
  unknown_parameter: 'is not a parameter of the channel',
  invalid_secret: 'must be whsec_ followed by base64',
  secret_auth_only: 'only a channel with secret auth has a secret to rotate',
  invalid_cursor: 'must be a cursor from a previous page',
  not_recurring_field: 'is not used by recurring campaigns',
  status_is: 'is {{status}}',
  not_set: 'is not set',
  attribute_type: 'must be a {{type}}: {{attribute}} is a {{type}} attribute',
  default_type: 'the default must be a value of type {{type}}',
  must_be_integer: 'must be an integer',
  must_be_number: 'must be a number',
  must_be_text: 'must be text',
  must_be_boolean: 'must be true or false',
  one_of: 'must be one of {{values}}',
  day_of_week: 'must be a day of the week',
  day_of_month: 'must be a day of the month 1–31',
  unsafe_integer: 'integer too large to keep exactly (send it as a string)',
  number_out_of_range: 'number is beyond the range of a double',
  invalid_json: 'is not valid JSON',
  template_error: 'the template of {{param}} fails',
  invalid_type: 'must be a {{expected}}',
  invalid: 'is invalid',
} as const;
export type IssueCode = keyof typeof ISSUE_CODES;

export interface FieldIssue {
  path: string;
  /** English, for API clients and logs. */
  message: string;
  /** Stable, for clients that translate (ISSUE_CODES); filled in from the message when left out. */
  code?: IssueCode;
  params?: CodeParams;
}

/** An issue as the API answers it: always with its code and params. */
export type CodedIssue = Required<FieldIssue>;

/**
 * The code and params an English issue message stands for; `invalid` (with the
 * message as `detail`) for one no pattern knows.
 *
 * @example
 * issueCode('must be at most 200 characters'); // { code: 'too_long', params: { maximum: 200 } }
 */
export function issueCode(message: string): { code: IssueCode; params: CodeParams } {
  for (const [code, pattern] of ISSUE_PATTERNS) {
    const match = pattern.exec(message);
    if (match) return { code, params: paramsOf(match.groups) };
  }
  return { code: 'invalid', params: { detail: message } };
}

function paramsOf(groups: Record<string, string | undefined> | undefined): CodeParams {
  const params: CodeParams = {};
  for (const [key, value] of Object.entries(groups ?? {})) {
    if (value === undefined) continue;
    params[key] = /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  }
  return params;
}

/** An issue with its code: the one given, else the message's. */
export function withCode(issue: FieldIssue): CodedIssue {
  if (issue.code) return { path: issue.path, message: issue.message, code: issue.code, params: issue.params ?? {} };
  return { path: issue.path, message: issue.message, ...issueCode(issue.message) };
}

/** Zod's issue codes, for a message that is zod's default (no schema wrote its own). */
function zodIssueCode(issue: z.core.$ZodIssue): { code: IssueCode; params: CodeParams } {
  switch (issue.code) {
    case 'invalid_type':
      return /received undefined$/.test(issue.message) ? { code: 'required', params: {} } : { code: 'invalid_type', params: { expected: String(issue.expected) } };
    case 'too_big': {
      const maximum = Number(issue.maximum);
      if (issue.origin === 'string') return { code: 'too_long', params: { maximum } };
      if (issue.origin === 'array' || issue.origin === 'set') return { code: 'too_many', params: { maximum } };
      return { code: 'too_large', params: { maximum } };
    }
    case 'too_small': {
      const minimum = Number(issue.minimum);
      if (issue.origin === 'string') return minimum <= 1 ? { code: 'not_empty', params: {} } : { code: 'too_short', params: { minimum } };
      if (issue.origin === 'array' || issue.origin === 'set') return { code: 'too_few', params: { minimum } };
      return { code: 'too_small', params: { minimum } };
    }
    case 'invalid_format':
      if (issue.format === 'url') return { code: 'invalid_url', params: {} };
      if (issue.format === 'uuid') return { code: 'invalid_id', params: { kind: '' } };
      if (issue.format === 'datetime') return { code: 'invalid_datetime', params: {} };
      if (issue.format === 'date') return { code: 'invalid_date', params: {} };
      return { code: 'invalid', params: { detail: issue.message } };
    case 'invalid_value':
      return { code: 'one_of', params: { values: issue.values.map((v) => JSON.stringify(v)).join(', ') } };
    default:
      return { code: 'invalid', params: { detail: issue.message } };
  }
}

/**
 * A zod issue as API issues (one per unknown key), with its dotted path, code
 * and params; the console checks its forms with the same function.
 */
export function flattenIssue(issue: z.core.$ZodIssue, prefix?: string): CodedIssue[] {
  const path = [prefix, ...issue.path.map(String)].filter((p) => p !== undefined && p !== '').join('.') || '(body)';
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: path === '(body)' ? key : `${path}.${key}`, message: 'is not a known field', code: 'unknown_field', params: {} }));
  }
  // A record key's own message (a header name's) is nested under zod's "Invalid key in record".
  let message = issue.code === 'invalid_key' && issue.issues[0] ? issue.issues[0].message : issue.message;
  if (issue.code === 'invalid_type' && /received undefined$/.test(message)) message = 'is required';
  else message = message.replace(/^Invalid input: /, '');
  const fromMessage = issueCode(message);
  return [{ path, message, ...(fromMessage.code === 'invalid' ? zodIssueCode(issue) : fromMessage) }];
}
