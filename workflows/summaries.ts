/*
 * What each step of a run says in the Temporal UI (activity, timer and child
 * workflow summaries, and the workflow's current details), so a run's history
 * reads as a story. Counts and positions only: never user data. Summaries are
 * metadata of the commands, not part of what replay compares.
 */

/** 5501 → "5,501" (no Intl: the same text on every worker). */
export function count(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

const plural = (n: number, one: string, many: string) => `${count(n)} ${n === 1 ? one : many}`;

/** The batch number of a `seq` range, counting from 1 in order of audience position. */
export function batchNumber(fromSeq: number, batchSize: number): number {
  return Math.floor((fromSeq - 1) / batchSize) + 1;
}

export const summaries = {
  waitForSendTime: (sendAt: number) => `wait for the send time ${new Date(sendAt).toISOString()}`,
  status: (status: string) => `status: ${status}`,
  finish: (status: string) => `finish run: ${status}`,
  freeze: () => 'freeze audience',
  sends: (control: 'pause' | 'run' | 'cancel') => (control === 'pause' ? 'pause sends' : control === 'run' ? 'resume sends' : 'stop sends (cancel)'),
  /** An operator's pause or resume, naming who asked: "pause requested by key ops-1: pause sends, status: paused". */
  control: (verb: 'pause' | 'resume', next: string, requestedBy: string | undefined) =>
    `${requestedBy ? `${verb} requested by ${requestedBy}: ` : ''}${summaries.sends(verb === 'pause' ? 'pause' : 'run')}, ${summaries.status(next)}`,
  batch: (fromSeq: number, toSeq: number, batchSize: number) => `deliver batch ${count(batchNumber(fromSeq, batchSize))}: users ${count(fromSeq)}–${count(toSeq)}`,
  firstAttempts: (fromSeq: number, toSeq: number) => `send users ${count(fromSeq)}–${count(toSeq)}`,
  retryWait: (seq: number, delayMs: number) => `retry user ${count(seq)} in ${delayMs < 1000 ? `${Math.ceil(delayMs)} ms` : `${Math.round(delayMs / 1000)} s`}`,
  retry: (seq: number) => `retry user ${count(seq)}`,
  pauseRecheck: () => 'paused: look again later',
  quietHours: (until: string) => `wait for the quiet hours to end at ${until}`,
  openFiring: (scheduledAt: Date) => `open the run of the firing due ${scheduledAt.toISOString()}`,
  settle: () => 'settle the recurring campaign',
  waitForEnd: (endAt: string) => `wait for the campaign's end ${endAt}`,
  claims: (claimNo: number, claims: number, again: boolean) =>
    again ? `send claim ${count(claimNo)} again, then claim due firings` : `claim due firings and send them (claims ${count(claimNo)}–${count(claimNo + claims - 1)})`,
  retries: (fromSeq: number, toSeq: number) => `retry users ${count(fromSeq)}–${count(toSeq)}`,
  adopt: () => 'take over per-user workflows of the previous shape',
  dropQueue: () => 'drop waiting firings and counting state',
  effect: () => 'store the effect once the goal window closed',
  effectWindow: (until: string) => `wait for the goal window to close at ${until}`,
  close: (status: string, range?: { fromSeq: number; toSeq: number }) =>
    `close pending users${range ? ` ${count(range.fromSeq)}–${count(range.toSeq)}` : ''}: ${status}`,
};

/** The run's current details, shown on the workflow's page. */
export function runDetails(p: { status: string; total: number | null; skipped?: number; nextSeq: number; batchesDone: number; batchesInFlight: number; batchSize: number }): string {
  if (p.total === null) return `${p.status}: audience not frozen yet`;
  const batches = Math.ceil(p.total / p.batchSize);
  const audience = `${plural(p.total, 'user', 'users')}${p.skipped ? ` (${count(p.skipped)} skipped)` : ''}`;
  return `${p.status} · audience ${audience} · batches: ${count(p.batchesDone)} done, ${count(p.batchesInFlight)} running, of ${count(batches)}${p.batchesDone > 0 || p.nextSeq > 1 ? ` · next user ${count(Math.min(p.nextSeq, p.total + 1))}` : ''}`;
}

/** A batch's current details. */
export function batchDetails(p: { fromSeq: number; toSeq: number; phase: string; retries?: number; retried?: number }): string {
  const users = `users ${count(p.fromSeq)}–${count(p.toSeq)}`;
  const retries = p.retries === undefined ? '' : ` · ${plural(p.retries, 'retry', 'retries')} due${p.retried ? `, ${count(p.retried)} done` : ''}`;
  return `${users}: ${p.phase}${retries}`;
}

/** An event run's current details: what its queue is doing. */
export function eventRunDetails(p: { status: string; claims: number; sending: number; held: number; nextDueAt: number | null }): string {
  const next = p.nextDueAt === null ? '' : ` · next firing due ${new Date(p.nextDueAt).toISOString()}`;
  return `${p.status} · ${plural(p.claims, 'claim', 'claims')} · ${count(p.sending)} sending${p.held > 0 ? ` · ${count(p.held)} held` : ''}${next}`;
}
