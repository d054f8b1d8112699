-- Event-triggered campaigns count in PostgreSQL and send in batches (issue 16).
-- The relay (triggers/relay.ts) turns outbox rows into counting state and
-- firings; the campaign's event run workflow claims due firings in batches
-- into run_recipients and sends them through the batch path. Every writer of
-- these tables for a campaign holds that campaign's advisory lock
-- (triggers/locks.ts), so reads and writes of one campaign never interleave.

-- What a (campaign, user) pair has counted and not yet used, and when it last
-- sent: kept only while the window or the frequency cap needs it (expires_at),
-- deleted when it has nothing left to remember.
CREATE TABLE "trigger_state" (
	"campaign_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	-- Counted events not yet consumed by a firing, oldest first: [[event id, epoch ms], ...].
	"counted" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"last_sent_at" timestamp with time zone,
	"expires_at" timestamp with time zone,
	CONSTRAINT "trigger_state_pkey" PRIMARY KEY ("campaign_id", "user_id")
);
--> statement-breakpoint
CREATE INDEX "trigger_state_expiry_idx" ON "trigger_state" USING btree ("expires_at");
--> statement-breakpoint
-- A send decided and due at a time (now, or now + the trigger's delay), until
-- the run's workflow claims it. At most one per (run, user): a firing while
-- one waits is dropped.
CREATE TABLE "trigger_firings" (
	"run_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"event_id" bigint NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "trigger_firings_pkey" PRIMARY KEY ("run_id", "user_id")
);
--> statement-breakpoint
CREATE INDEX "trigger_firings_due_idx" ON "trigger_firings" USING btree ("run_id", "due_at");
--> statement-breakpoint
-- Which audience positions each claim of an event run took, so a claim
-- repeated (an activity retried after a crash, a range re-run after a pause)
-- answers the same range instead of taking another.
CREATE TABLE "trigger_claims" (
	"run_id" uuid NOT NULL,
	"claim_no" integer NOT NULL,
	"from_seq" integer NOT NULL,
	"to_seq" integer NOT NULL,
	CONSTRAINT "trigger_claims_pkey" PRIMARY KEY ("run_id", "claim_no")
);
--> statement-breakpoint
-- When the run's workflow sleeps until (its next due firing, or 'infinity'),
-- NULL while it works through due firings: the relay signals it only when a
-- new firing is due before that. '-infinity' marks an event run started before
-- this queue, whose workflow must be woken once to take it up.
ALTER TABLE "campaign_runs" ADD COLUMN "wake_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "campaign_runs" ADD COLUMN "events_counted" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
UPDATE "campaign_runs" SET "wake_at" = '-infinity' WHERE "trigger" = 'event' AND "finished_at" IS NULL;
