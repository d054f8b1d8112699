CREATE TABLE "campaign_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"campaign_id" uuid NOT NULL,
	"workflow_id" text NOT NULL,
	"definition" jsonb NOT NULL,
	"send_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone,
	"control" text DEFAULT 'run' NOT NULL,
	"total" integer,
	"skipped" integer,
	"frozen_at" timestamp with time zone,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "campaigns" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"status" text DEFAULT 'draft' NOT NULL,
	"segment_id" uuid,
	"channel_id" uuid,
	"identity" text DEFAULT 'login' NOT NULL,
	"template_values" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"trigger" jsonb NOT NULL,
	"expires_at" timestamp with time zone,
	"workflow_id" text,
	"current_run_id" uuid,
	"launched_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "delivery_attempts" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "delivery_attempts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"run_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"attempt" smallint NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"latency_ms" integer,
	"http_status" smallint,
	"outcome" text NOT NULL,
	"error_class" text,
	"error_message" text
);
--> statement-breakpoint
CREATE TABLE "run_recipients" (
	"run_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"user_id" uuid NOT NULL,
	"address" text,
	"status" text NOT NULL,
	"attempts" smallint DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone,
	"last_http_status" smallint,
	"last_error_class" text,
	"last_error_message" text,
	"first_attempt_at" timestamp with time zone,
	"last_attempt_at" timestamp with time zone,
	"latency_ms" integer,
	"webhook_id" text,
	"response_body" text,
	CONSTRAINT "run_recipients_run_id_seq_pk" PRIMARY KEY("run_id","seq")
);
--> statement-breakpoint
ALTER TABLE "channels" ADD COLUMN "format" text DEFAULT 'standard' NOT NULL;--> statement-breakpoint
ALTER TABLE "channels" ADD COLUMN "batch_size" integer DEFAULT 100 NOT NULL;--> statement-breakpoint
ALTER TABLE "channels" ADD COLUMN "retry" jsonb DEFAULT '{"initialIntervalMs":5000,"maxIntervalMs":3600000,"maxDurationMs":86400000}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "channels" ADD COLUMN "flagged_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "channels" ADD COLUMN "flag_reason" text;--> statement-breakpoint
ALTER TABLE "campaign_runs" ADD CONSTRAINT "campaign_runs_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "campaigns" ADD CONSTRAINT "campaigns_channel_id_channels_id_fk" FOREIGN KEY ("channel_id") REFERENCES "public"."channels"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "campaigns_status_idx" ON "campaigns" USING btree ("status","created_at");--> statement-breakpoint
CREATE INDEX "campaigns_channel_idx" ON "campaigns" USING btree ("channel_id");--> statement-breakpoint
CREATE INDEX "campaigns_segment_idx" ON "campaigns" USING btree ("segment_id");--> statement-breakpoint
CREATE INDEX "delivery_attempts_recipient_idx" ON "delivery_attempts" USING btree ("run_id","seq","attempt");--> statement-breakpoint
CREATE UNIQUE INDEX "run_recipients_user_key" ON "run_recipients" USING btree ("run_id","user_id");--> statement-breakpoint
CREATE INDEX "run_recipients_status_idx" ON "run_recipients" USING btree ("run_id","status","seq");