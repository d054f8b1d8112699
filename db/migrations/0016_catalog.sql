-- The catalog of what has been ingested (audience/catalog.ts, GET /api/catalog): attribute names with
-- their types, a few example values and when they were last seen; event names with when one last
-- happened and their property names and types. Each ingest batch keeps it in one statement, so the
-- console's pickers read these small tables instead of scanning users or events.
-- Existing keys count as seen when they were first recorded; the next upsert carrying them moves it on.
ALTER TABLE "attribute_types" ADD COLUMN "last_seen_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
UPDATE "attribute_types" SET "last_seen_at" = "created_at";--> statement-breakpoint
-- At most a few values per key, each with the user it came from: they are user data, so erasing the
-- user deletes them (audience/erase.ts; the foreign key also covers an identify that merges a visitor).
CREATE TABLE "attribute_examples" (
	"key" text NOT NULL,
	"value" jsonb NOT NULL,
	"user_id" uuid NOT NULL,
	"seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "attribute_examples_key_value_pk" PRIMARY KEY("key","value")
);--> statement-breakpoint
ALTER TABLE "attribute_examples" ADD CONSTRAINT "attribute_examples_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "attribute_examples_user_idx" ON "attribute_examples" USING btree ("user_id");--> statement-breakpoint
CREATE TABLE "event_names" (
	"name" text PRIMARY KEY NOT NULL,
	"last_seen_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);--> statement-breakpoint
CREATE TABLE "event_properties" (
	"event" text NOT NULL,
	"property" text NOT NULL,
	"type" text NOT NULL,
	CONSTRAINT "event_properties_event_property_type_pk" PRIMARY KEY("event","property","type")
);--> statement-breakpoint
-- The names already stored, found by skipping through events_name_time_user_idx (one probe per
-- distinct name, not a scan of the events), each with its latest occurrence from the same index.
-- Property names and attribute examples are not backfilled (that would read every row): they fill
-- from what is ingested from now on.
INSERT INTO "event_names" ("name", "last_seen_at")
WITH RECURSIVE names AS (
	(SELECT name FROM events ORDER BY name LIMIT 1)
	UNION ALL
	SELECT (SELECT e.name FROM events e WHERE e.name > n.name ORDER BY e.name LIMIT 1) FROM names n WHERE n.name IS NOT NULL
)
SELECT n.name, (SELECT least(max(e.occurred_at), now()) FROM events e WHERE e.name = n.name)
FROM names n WHERE n.name IS NOT NULL;
