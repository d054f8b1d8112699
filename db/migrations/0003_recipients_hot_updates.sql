DROP INDEX "run_recipients_status_idx";--> statement-breakpoint
-- Room on each page for the updated version of a row: delivery updates become HOT (no index writes).
ALTER TABLE "run_recipients" SET (fillfactor = 50);
