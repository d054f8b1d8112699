-- Conversion goals and control groups (docs/goals.md). A campaign's goal and hold-out are edited
-- while it is a draft; the hold-out's draw counts the operator's requests for a new control group.
ALTER TABLE "campaigns" ADD COLUMN "goal" jsonb;--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "holdout" jsonb;--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "holdout_draw" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
-- A held-out user's "would have been sent" moment, which attribution measures the window from.
-- Null costs nothing in the hot table's rows (the null bitmap) and no index is added.
ALTER TABLE "run_recipients" ADD COLUMN "held_out_at" timestamp with time zone;--> statement-breakpoint
-- The widened status lists: added NOT VALID and then validated, so the check of existing rows
-- does not hold the table's exclusive lock while it scans.
ALTER TABLE "run_recipients" DROP CONSTRAINT "run_recipients_status_check";--> statement-breakpoint
ALTER TABLE "run_recipients" ADD CONSTRAINT "run_recipients_status_check" CHECK ("status" IN ('pending', 'succeeded', 'failed', 'skipped', 'cancelled', 'held_out')) NOT VALID;--> statement-breakpoint
ALTER TABLE "run_recipients" VALIDATE CONSTRAINT "run_recipients_status_check";--> statement-breakpoint
ALTER TABLE "run_status_counts" DROP CONSTRAINT "run_status_counts_status_check";--> statement-breakpoint
ALTER TABLE "run_status_counts" ADD CONSTRAINT "run_status_counts_status_check" CHECK ("status" IN ('pending', 'succeeded', 'failed', 'skipped', 'cancelled', 'held_out'));--> statement-breakpoint
-- A run's final effect, stored by its workflow once the last recipient's conversion window closed
-- (plus the grace for late events): raw counts per group and per curve bucket, so the answer
-- survives event retention and several runs' figures add up.
CREATE TABLE "run_effects" (
	"run_id" uuid PRIMARY KEY NOT NULL REFERENCES "campaign_runs"("id") ON DELETE CASCADE,
	"campaign_id" uuid NOT NULL REFERENCES "campaigns"("id") ON DELETE CASCADE,
	"figures" jsonb NOT NULL,
	"window_closed_at" timestamp with time zone,
	"computed_at" timestamp with time zone DEFAULT now() NOT NULL
);--> statement-breakpoint
CREATE INDEX "run_effects_campaign_idx" ON "run_effects" USING btree ("campaign_id");
