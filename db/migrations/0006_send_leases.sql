CREATE TABLE "send_leases" (
	"run_id" uuid NOT NULL,
	"slice" integer NOT NULL,
	"holder" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "send_leases_run_id_slice_pk" PRIMARY KEY("run_id","slice")
);
