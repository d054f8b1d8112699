-- Erasure and retention (docs/privacy.md).
-- One row, counted up by every erasure in its own transaction. Sending activities cache it like a
-- run's pause flag (RUN_CONTROL_CACHE_MS): when it moved since they read their users, they re-read
-- which of them are still pending before the next request, so an erased user is never sent to.
-- The row lock serialises erasures, which are rare; nothing personal is kept here.
CREATE TABLE "erasure_clock" (
	"id" smallint PRIMARY KEY DEFAULT 1 NOT NULL CHECK ("id" = 1),
	"n" bigint DEFAULT 0 NOT NULL,
	"erased_at" timestamp with time zone
);--> statement-breakpoint
INSERT INTO "erasure_clock" ("id", "n") VALUES (1, 0);--> statement-breakpoint
-- Retention deletes a finished run's delivery rows but keeps its counts: with hookcast.keep_counts
-- set (SET LOCAL, in the retention transaction only) the delete trigger leaves run_status_counts alone.
CREATE OR REPLACE FUNCTION run_recipients_count_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('hookcast.keep_counts', true) = 'on' THEN
    RETURN NULL;
  END IF;
  UPDATE run_status_counts c SET n = c.n - d.n
  FROM (SELECT run_id, status, count(*) AS n FROM deleted_rows GROUP BY run_id, status ORDER BY run_id, status) d
  WHERE c.run_id = d.run_id AND c.status = d.status;
  RETURN NULL;
END $$;
