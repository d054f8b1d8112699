import type { Client } from '@temporalio/client';
import type { Database } from '../../db/client.js';
import type { campaigns, channels } from '../../db/schema.js';
import type { FieldIssue } from '../../contracts/errors.js';
import type { FanOut } from '../../runs/lifecycle.js';
import type { DueQueue } from '../../workflows/inputs.js';
import type { CampaignProgress } from '../../workflows/messages.js';
import type { CampaignTrigger } from '../../contracts/trigger.js';
import type { FrozenDefinition } from '../../contracts/campaign.js';
import type { CampaignEvent } from '../lifecycle.js';

export type CampaignRow = typeof campaigns.$inferSelect;
export type TriggerType = CampaignTrigger['type'];

/** What a trigger kind needs from the process: the database, Temporal, and how runs are shaped. */
export interface TriggerKindDeps {
  db: Database;
  temporal: Client;
  taskQueue: string;
  fanOut: FanOut;
  dueQueue: DueQueue;
  /** This process's index of live event-triggered campaigns (campaigns/store.ts explains). */
  eventListeners?: { refresh(): Promise<void> };
}

/** A draft that passed every check, ready to go live. */
export interface Launchable {
  channel: typeof channels.$inferSelect;
  segment: { name: string };
  definition: FrozenDefinition;
  /** When its first send is due. */
  sendAt: Date;
  now: Date;
}

/** A recurring campaign's schedule as the API shows it. */
export interface ScheduleView {
  paused: boolean;
  nextFirings: string[];
  missedBeyondRecord: number;
}

/**
 * One way a campaign is triggered (once, recurring, event). campaigns/store.ts
 * does what all campaigns share (drafts, references, the channel/segment/template
 * checks, freezing the definition) and hands the rest to the campaign's kind,
 * found in the registry (index.ts). Adding a kind is a module implementing this
 * and a line in the registry.
 */
export interface TriggerKind {
  type: TriggerType;
  /** The lifecycle event its launch is (campaigns/lifecycle.ts). */
  launchEvent: CampaignEvent;
  /** The trigger's own launch checks, each naming a field, and when the first send is due. */
  validate(row: CampaignRow, now: Date): { problems: FieldIssue[]; sendAt: Date };
  /** Goes live: moves the campaign out of `draft` and starts what runs it, all or nothing. */
  launch(row: CampaignRow, launchable: Launchable): Promise<void>;
  /** The operator's pause (`requestedBy`: who, as the run's history names them); answers the run's progress when a run took it. */
  pause(row: CampaignRow, requestedBy: string): Promise<CampaignProgress | null>;
  resume(row: CampaignRow, requestedBy: string): Promise<CampaignProgress | null>;
  cancel(row: CampaignRow): Promise<void>;
  /** What Temporal says about its schedule (next firings), or null for a kind without one. */
  describe(row: CampaignRow): Promise<ScheduleView | null>;
  /** "Send once now", for kinds that can (otherwise the API answers 409). */
  fireNow?(row: CampaignRow): Promise<void>;
  /** Whether its next runs can hold out a new control group (a kind with many runs). */
  redrawsHoldout: boolean;
}
