-- Events that reached a live event-triggered campaign, written in the same
-- transaction as the events themselves and deleted once handed to Temporal
-- (triggers/relay.ts): an accepted event is never lost between PostgreSQL and
-- Temporal, whatever process dies when. No foreign keys: rows live for
-- milliseconds, and a checked reference would cost every ingest.
CREATE TABLE "trigger_outbox" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "trigger_outbox_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"event_id" bigint NOT NULL,
	"campaign_id" uuid NOT NULL,
	"run_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
-- One event run holds every delivery of its campaign, several per user when
-- the campaign's frequency allows it. `delivery_key` tells them apart ('' for
-- the one delivery per user of a frozen audience, 'once' for the one send of a
-- once-per-user trigger, 'event:<id>' for a send caused by that event), and the
-- unique key makes a second delivery of the same key impossible whatever
-- Temporal does (a workflow id reused after retention included).
ALTER TABLE "run_recipients" ADD COLUMN "delivery_key" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "run_recipients" ADD COLUMN "trigger_event_id" bigint;--> statement-breakpoint
DROP INDEX "run_recipients_user_key";--> statement-breakpoint
CREATE UNIQUE INDEX "run_recipients_user_key" ON "run_recipients" USING btree ("run_id","user_id","delivery_key");--> statement-breakpoint
-- Audience positions of an event run are handed out as its deliveries happen.
ALTER TABLE "campaign_runs" ADD COLUMN "last_seq" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Every process keeps an in-memory index of the live event-triggered campaigns
-- (triggers/listeners.ts); any change to one, by whichever process, tells them all.
CREATE FUNCTION notify_event_campaign_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('hookcast_event_campaigns', NEW.id::text);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER campaigns_event_trigger_change AFTER INSERT OR UPDATE ON "campaigns"
  FOR EACH ROW WHEN (NEW."trigger"->>'type' = 'event') EXECUTE FUNCTION notify_event_campaign_change();
