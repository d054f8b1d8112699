-- Runs get their own status, trigger and control epoch so a campaign can have many runs
-- (one per schedule firing), and every status word is enforced by the database.
ALTER TABLE "campaign_runs" ADD COLUMN "status" text DEFAULT 'scheduled' NOT NULL;--> statement-breakpoint
ALTER TABLE "campaign_runs" ADD COLUMN "trigger" text DEFAULT 'once' NOT NULL;--> statement-breakpoint
ALTER TABLE "campaign_runs" ADD COLUMN "scheduled_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "campaign_runs" ADD COLUMN "reason" text;--> statement-breakpoint
ALTER TABLE "campaign_runs" ADD COLUMN "control_epoch" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "definition" jsonb;--> statement-breakpoint
UPDATE "campaign_runs" r SET "status" = c."status" FROM "campaigns" c WHERE c."id" = r."campaign_id" AND c."status" <> 'draft';--> statement-breakpoint
UPDATE "campaigns" c SET "definition" = r."definition" FROM "campaign_runs" r WHERE r."id" = c."current_run_id";--> statement-breakpoint
ALTER TABLE "campaign_runs" ADD CONSTRAINT "campaign_runs_status_check" CHECK ("status" IN ('scheduled', 'running', 'paused', 'completed', 'cancelled', 'failed', 'skipped', 'missed'));--> statement-breakpoint
ALTER TABLE "campaign_runs" ADD CONSTRAINT "campaign_runs_trigger_check" CHECK ("trigger" IN ('once', 'schedule', 'manual', 'event'));--> statement-breakpoint
ALTER TABLE "campaign_runs" ADD CONSTRAINT "campaign_runs_control_check" CHECK ("control" IN ('run', 'pause', 'cancel'));--> statement-breakpoint
ALTER TABLE "campaigns" ADD CONSTRAINT "campaigns_status_check" CHECK ("status" IN ('draft', 'scheduled', 'running', 'paused', 'completed', 'cancelled', 'failed'));--> statement-breakpoint
ALTER TABLE "run_recipients" ADD CONSTRAINT "run_recipients_status_check" CHECK ("status" IN ('pending', 'succeeded', 'failed', 'skipped', 'cancelled'));--> statement-breakpoint
ALTER TABLE "run_status_counts" ADD CONSTRAINT "run_status_counts_status_check" CHECK ("status" IN ('pending', 'succeeded', 'failed', 'skipped', 'cancelled'));--> statement-breakpoint
ALTER TABLE "delivery_attempts" ADD CONSTRAINT "delivery_attempts_outcome_check" CHECK ("outcome" IN ('succeeded', 'retry', 'failed'));--> statement-breakpoint
CREATE UNIQUE INDEX "campaign_runs_workflow_key" ON "campaign_runs" USING btree ("workflow_id");--> statement-breakpoint
CREATE INDEX "campaign_runs_campaign_idx" ON "campaign_runs" USING btree ("campaign_id","created_at","id");
