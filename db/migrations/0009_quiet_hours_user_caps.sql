ALTER TABLE "campaigns" ADD COLUMN "time_zone" text DEFAULT 'Asia/Shanghai' NOT NULL;--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "quiet_hours" jsonb;--> statement-breakpoint
ALTER TABLE "channels" ADD COLUMN "user_cap" jsonb;--> statement-breakpoint
ALTER TABLE "campaign_runs" ADD COLUMN "quiet_until" timestamp with time zone;--> statement-breakpoint
-- One row per (channel, user): a reservation locks it, so two campaigns reaching
-- the same user at once queue behind each other (delivery/user-cap.ts).
CREATE TABLE "user_cap_sends" (
	"channel_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"sends" jsonb NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "user_cap_sends_channel_id_user_id_pk" PRIMARY KEY("channel_id","user_id")
);
--> statement-breakpoint
ALTER TABLE "user_cap_sends" ADD CONSTRAINT "user_cap_sends_channel_id_channels_id_fk" FOREIGN KEY ("channel_id") REFERENCES "public"."channels"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "user_cap_sends_expires_idx" ON "user_cap_sends" USING btree ("expires_at");
