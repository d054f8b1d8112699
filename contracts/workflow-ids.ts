/*
 * Every Temporal workflow id and schedule id hookcast makes, built here and
 * nowhere else. Running workflows, recorded histories, the relay's
 * signalWithStart and operators' Temporal UI searches all depend on these
 * strings: they must stay byte-identical (workflow-ids.test.ts pins them).
 *
 * Pure and import-free, so workflow code (Temporal's sandbox) may use it too.
 */

export const workflowIds = {
  /** A recurring campaign's Temporal Schedule: one per campaign, so launching twice cannot make two. */
  schedule: (campaignId: string) => `campaign-${campaignId}`,
  /**
   * What each firing of the schedule starts under. Temporal appends the
   * firing's nominal time (`campaign-<id>-2026-11-30T01:00:00Z`), which makes
   * every firing's run workflow distinct and names its time in the UI.
   */
  firingPrefix: (campaignId: string) => `campaign-${campaignId}`,
  /** A one-time campaign's one run: a second start of this id is refused by Temporal. */
  onceRun: (campaignId: string) => `campaign-${campaignId}-once`,
  /** The one run of an event-triggered campaign, collecting its sends; a second start is refused too. */
  eventsRun: (campaignId: string) => `campaign-${campaignId}-events`,
  /** The workflow that ends a recurring campaign at its `endAt`. */
  recurringEnd: (campaignId: string) => `campaign-${campaignId}-end`,
  /** A (campaign, user) pair of the event-trigger shape before the due-firing queue (still adopted on upgrade). */
  eventTriggerPair: (campaignId: string, userId: string) => `${eventTriggerPairPrefix(campaignId)}${userId}`,
  /** A batch of a run's users, a child of the run's workflow. */
  batch: (runWorkflowId: string, fromSeq: number, toSeq: number) => `${runWorkflowId}-batch-${fromSeq}-${toSeq}`,
  /** The retries of a range of an event run's users, a child that outlives its parent's execution. */
  retries: (runWorkflowId: string, fromSeq: number, toSeq: number) => `${runWorkflowId}-retry-${fromSeq}-${toSeq}`,
};

/** The part of an event-trigger pair's id before the user id: how adoption reads the user back. */
export function eventTriggerPairPrefix(campaignId: string): string {
  return `campaign-${campaignId}-user-`;
}
