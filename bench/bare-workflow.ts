import { proxyActivities } from '@temporalio/workflow';

/** The bare baseline of `npm run bench:trigger`: one activity that makes the HTTP request. */
export interface BareActivities {
  bareSend(input: { url: string; userid: string }): Promise<number>;
}

const { bareSend } = proxyActivities<BareActivities>({ startToCloseTimeout: '30 seconds' });

export async function bareSendWorkflow(input: { url: string; userid: string }): Promise<number> {
  return bareSend(input);
}
