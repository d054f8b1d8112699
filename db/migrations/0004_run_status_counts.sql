CREATE TABLE "run_status_counts" (
	"run_id" uuid NOT NULL,
	"status" text NOT NULL,
	"n" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "run_status_counts_run_id_status_pk" PRIMARY KEY("run_id","status")
);
--> statement-breakpoint
-- Statement-level triggers with transition tables: one aggregate per statement
-- (a flush of ~200 outcomes, a freeze of millions), not a trigger call per row.
-- Rows are applied in (run_id, status) order so concurrent statements lock the
-- same counters in the same order and cannot deadlock.
CREATE FUNCTION run_recipients_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO run_status_counts (run_id, status, n)
  SELECT run_id, status, count(*) FROM inserted_rows GROUP BY run_id, status ORDER BY run_id, status
  ON CONFLICT (run_id, status) DO UPDATE SET n = run_status_counts.n + EXCLUDED.n;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION run_recipients_count_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO run_status_counts (run_id, status, n)
  SELECT run_id, status, sum(delta) FROM (
    SELECT run_id, status, count(*) AS delta FROM new_rows GROUP BY run_id, status
    UNION ALL
    SELECT run_id, status, -count(*) FROM old_rows GROUP BY run_id, status
  ) AS changes
  GROUP BY run_id, status HAVING sum(delta) <> 0 ORDER BY run_id, status
  ON CONFLICT (run_id, status) DO UPDATE SET n = run_status_counts.n + EXCLUDED.n;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION run_recipients_count_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE run_status_counts c SET n = c.n - d.n
  FROM (SELECT run_id, status, count(*) AS n FROM deleted_rows GROUP BY run_id, status ORDER BY run_id, status) d
  WHERE c.run_id = d.run_id AND c.status = d.status;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER run_recipients_counts_insert AFTER INSERT ON run_recipients
  REFERENCING NEW TABLE AS inserted_rows FOR EACH STATEMENT EXECUTE FUNCTION run_recipients_count_inserted();
--> statement-breakpoint
CREATE TRIGGER run_recipients_counts_update AFTER UPDATE ON run_recipients
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION run_recipients_count_updated();
--> statement-breakpoint
CREATE TRIGGER run_recipients_counts_delete AFTER DELETE ON run_recipients
  REFERENCING OLD TABLE AS deleted_rows FOR EACH STATEMENT EXECUTE FUNCTION run_recipients_count_deleted();
--> statement-breakpoint
-- Runs that existed before this migration.
INSERT INTO run_status_counts (run_id, status, n)
SELECT run_id, status, count(*) FROM run_recipients GROUP BY run_id, status;
