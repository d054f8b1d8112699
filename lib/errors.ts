import type { z } from 'zod';

export interface FieldIssue {
  path: string;
  message: string;
}

/** An error the API turns into a 4xx JSON answer. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: 400 | 404 | 409 | 413 | 422,
    readonly code: string,
    message: string,
    readonly issues: FieldIssue[] = [],
  ) {
    super(message);
  }

  toJSON() {
    return { error: this.code, message: this.message, ...(this.issues.length > 0 ? { issues: this.issues } : {}) };
  }
}

export function notFound(what: string): ApiError {
  return new ApiError(404, 'not_found', `${what} not found`);
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
  return new ApiError(400, 'validation_failed', `invalid ${path}`, [{ path, message }]);
}

function flattenIssue(issue: z.core.$ZodIssue, prefix?: string): FieldIssue[] {
  const path = [prefix, ...issue.path.map(String)].filter((p) => p !== undefined && p !== '').join('.') || '(body)';
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: path === '(body)' ? key : `${path}.${key}`, message: 'is not a known field' }));
  }
  let message = issue.message;
  if (issue.code === 'invalid_type' && /received undefined$/.test(message)) message = 'is required';
  else message = message.replace(/^Invalid input: /, '');
  return [{ path, message }];
}
