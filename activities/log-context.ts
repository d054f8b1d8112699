import { AsyncLocalStorage } from 'node:async_hooks';
import type { ActivityInboundCallsInterceptor, ActivityInterceptorsFactory } from '@temporalio/worker';
import { pino } from 'pino';
import type { Logger } from '../lib/logger.js';

const scope = new AsyncLocalStorage<Logger>();
const silent = pino({ level: 'silent' });

/**
 * The logger of the activity being executed: the worker's logger bound to the
 * ids of this execution (workflow id, workflow run, activity type, attempt and,
 * from the input, hookcast's campaign and run ids). Silent outside a worker
 * that installed `logContext` (tests with an in-process worker).
 */
export function activityLog(): Logger {
  return scope.getStore() ?? silent;
}

type Execute = NonNullable<ActivityInboundCallsInterceptor['execute']>;

/**
 * For `Worker.create({ interceptors: { activity: [logContext(logger)] } })`.
 * Activity inputs hold ids only, so only ids are bound; values and
 * credentials never are.
 *
 * @example
 * await Worker.create({ ..., interceptors: { activity: [logContext(logger)] } });
 */
export function logContext(logger: Logger): ActivityInterceptorsFactory {
  return (ctx) => ({
    inbound: {
      execute(...[input, next]: Parameters<Execute>) {
        const info = ctx.info;
        const arg = input.args[0] as { campaignId?: unknown; runId?: unknown } | undefined;
        const bindings: Record<string, unknown> = {
          workflowId: info.workflowExecution?.workflowId,
          workflowRunId: info.workflowExecution?.runId,
          activity: info.activityType,
          attempt: info.attempt,
        };
        if (typeof arg?.campaignId === 'string') bindings.campaignId = arg.campaignId;
        if (typeof arg?.runId === 'string') bindings.runId = arg.runId;
        return scope.run(logger.child(bindings), () => next(input));
      },
    },
  });
}
