import { ApplicationFailure } from '@temporalio/common';
import type { ActivityInboundCallsInterceptor, ActivityInterceptorsFactory } from '@temporalio/worker';
import { isDatabaseError, safeErrorDescription } from '../lib/db-errors.js';

/**
 * An activity that fails on a database error would otherwise put the error's
 * message, and so the failing query's parameters (credentials, user
 * attributes), into the workflow's history. This rethrows such errors as a
 * retryable ApplicationFailure of type `DatabaseError` carrying only the
 * statement's shape and the PostgreSQL code, with no cause attached. An
 * ApplicationFailure that wrapped the database error keeps its type,
 * retryability and next retry delay.
 */
export class SanitizeDatabaseErrors implements ActivityInboundCallsInterceptor {
  async execute(...[input, next]: Parameters<NonNullable<ActivityInboundCallsInterceptor['execute']>>): Promise<unknown> {
    try {
      return await next(input);
    } catch (error) {
      if (!isDatabaseError(error)) throw error;
      const { message } = safeErrorDescription(error);
      if (error instanceof ApplicationFailure) {
        throw ApplicationFailure.create({
          message,
          type: error.type ?? 'DatabaseError',
          nonRetryable: error.nonRetryable ?? false,
          nextRetryDelay: error.nextRetryDelay ?? undefined,
        });
      }
      throw ApplicationFailure.create({ message, type: 'DatabaseError', nonRetryable: false });
    }
  }
}

/**
 * For `Worker.create({ interceptors: { activity: [sanitizeDatabaseErrors] } })`.
 *
 * @example
 * await Worker.create({ ..., interceptors: { activity: [sanitizeDatabaseErrors] } });
 */
export const sanitizeDatabaseErrors: ActivityInterceptorsFactory = () => ({ inbound: new SanitizeDatabaseErrors() });
