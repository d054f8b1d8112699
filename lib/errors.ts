import type { z } from 'zod';
import { flattenIssue, withCode, type ApiErrorCode, type CodedIssue, type CodeParams, type FieldIssue } from '../contracts/errors.js';

/** An error the API turns into a 4xx JSON answer. */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly issues: CodedIssue[];
  constructor(
    readonly status: 400 | 404 | 409 | 413 | 422,
    readonly code: ApiErrorCode,
    message: string,
    issues: FieldIssue[] = [],
    /** What a translated message needs besides the code (`what` of not_found…). */
    readonly params: CodeParams = {},
  ) {
    super(message);
    this.issues = issues.map(withCode);
  }

  toJSON() {
    return {
      error: this.code,
      message: this.message,
      ...(Object.keys(this.params).length > 0 ? { params: this.params } : {}),
      ...(this.issues.length > 0 ? { issues: this.issues } : {}),
    };
  }
}

/** A 404; `what` starts with the kind (user, campaign…), which becomes the `what` param. */
export function notFound(what: string): ApiError {
  return new ApiError(404, 'not_found', `${what} not found`, [], { what: what.split(' ')[0]! });
}

export function conflict(message: string, issues: FieldIssue[] = []): ApiError {
  return new ApiError(409, 'conflict', message, issues);
}

/**
 * Turns zod issues into a 400 that names every failing field by its dotted path.
 *
 * @example
 * validationError(result.error, 'sampleValues').issues[0].path; // 'sampleValues.amount'
 */
export function validationError(error: z.ZodError | undefined, prefix?: string, extra: FieldIssue[] = []): ApiError {
  const issues = [...(error?.issues.flatMap((issue) => flattenIssue(issue, prefix)) ?? []), ...extra];
  const paths = [...new Set(issues.map((i) => i.path))];
  return new ApiError(400, 'validation_failed', `invalid ${paths.join(', ')}`, issues);
}

export function fieldError(path: string, message: string): ApiError {
  return fieldErrors([{ path, message }]);
}

/** A 400 for issues found by hand (references, query parameters), same shape as zod's. */
export function fieldErrors(issues: FieldIssue[]): ApiError {
  return new ApiError(400, 'validation_failed', `invalid ${[...new Set(issues.map((i) => i.path))].join(', ')}`, issues);
}

/** PostgreSQL's unique_violation, as postgres.js reports it (directly or as Drizzle's cause). */
export function isUniqueViolation(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string } }).cause ?? error;
  return (cause as { code?: string }).code === '23505';
}

/** The 409 for a name another resource of the same kind already has. */
export function duplicateName(kind: string, name: string): ApiError {
  return conflict(`a ${kind} named "${name}" already exists`, [{ path: 'name', message: 'must be unique', code: 'duplicate', params: {} }]);
}

/** Lists the live campaigns that still need a channel or segment. */
export type LiveCampaignsCheck = (id: string) => Promise<{ id: string; name: string }[]>;

/**
 * Refuses (409 `<kind>_in_use`) to delete what a live campaign uses.
 *
 * @example
 * await refuseWhileInUse('channel', usage, channel.id);
 */
export async function refuseWhileInUse(kind: 'channel' | 'segment', usage: LiveCampaignsCheck, id: string): Promise<void> {
  const users = await usage(id);
  if (users.length > 0) {
    throw new ApiError(409, `${kind}_in_use`, `${kind} is used by ${users.length} live campaign(s): ${users.map((c) => c.name).join(', ')}`, [], {
      count: users.length,
      campaigns: users.map((c) => c.name).join(', '),
    });
  }
}
