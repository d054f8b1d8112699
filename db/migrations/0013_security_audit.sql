-- Ingest-only API keys: POST /api/events, /api/users and /api/users/identify, nothing else.
ALTER TABLE "api_keys" DROP CONSTRAINT "api_keys_scope_check";
--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_scope_check" CHECK ("scope" IN ('read', 'ingest', 'write', 'admin'));
--> statement-breakpoint
-- The audit trail: who (the API key's id and name, kept as they were) did what to which object, when, with what change (secrets masked).
CREATE TABLE "audit_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor_key_id" uuid,
	"actor_name" text NOT NULL,
	"action" text NOT NULL,
	"target_type" text NOT NULL,
	"target_id" text,
	"target_name" text,
	"change" jsonb
);
--> statement-breakpoint
CREATE INDEX "audit_events_at_idx" ON "audit_events" USING btree ("at" DESC, "id" DESC);
--> statement-breakpoint
CREATE INDEX "audit_events_target_idx" ON "audit_events" USING btree ("target_type", "target_id", "id" DESC);
