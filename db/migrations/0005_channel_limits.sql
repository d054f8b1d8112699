CREATE TABLE "channel_concurrency_slots" (
	"channel_id" uuid NOT NULL,
	"slot" integer NOT NULL,
	"holder" text,
	"expires_at" timestamp with time zone,
	CONSTRAINT "channel_concurrency_slots_channel_id_slot_pk" PRIMARY KEY("channel_id","slot")
);
--> statement-breakpoint
CREATE TABLE "channel_limiter_members" (
	"channel_id" uuid NOT NULL,
	"holder" text NOT NULL,
	"wants" integer NOT NULL,
	"seen_at" timestamp with time zone NOT NULL,
	CONSTRAINT "channel_limiter_members_channel_id_holder_pk" PRIMARY KEY("channel_id","holder")
);
--> statement-breakpoint
CREATE TABLE "channel_rate_slots" (
	"channel_id" uuid PRIMARY KEY NOT NULL,
	"next_slot" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "channels" ADD COLUMN "rate_limit" jsonb DEFAULT '{"perSecond":null,"concurrency":null}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "pause_reason" text;--> statement-breakpoint
ALTER TABLE "channel_concurrency_slots" ADD CONSTRAINT "channel_concurrency_slots_channel_id_channels_id_fk" FOREIGN KEY ("channel_id") REFERENCES "public"."channels"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "channel_limiter_members" ADD CONSTRAINT "channel_limiter_members_channel_id_channels_id_fk" FOREIGN KEY ("channel_id") REFERENCES "public"."channels"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "channel_rate_slots" ADD CONSTRAINT "channel_rate_slots_channel_id_channels_id_fk" FOREIGN KEY ("channel_id") REFERENCES "public"."channels"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- Limiter state is seconds-lived: skipping the WAL keeps its frequent small updates cheap.
ALTER TABLE "channel_rate_slots" SET UNLOGGED;--> statement-breakpoint
ALTER TABLE "channel_concurrency_slots" SET UNLOGGED;--> statement-breakpoint
ALTER TABLE "channel_limiter_members" SET UNLOGGED;--> statement-breakpoint
-- One round trip of a worker's concurrency limiter for one channel: give back
-- p_release, renew p_keep (answering which of them this worker still holds: a
-- lease that expired may have been taken by another worker), publish how many
-- permits this worker wants, take up to p_take free or expired permits below
-- p_limit, and answer what the other live workers want (for the fair share).
-- PostgreSQL's clock decides expiry, so workers' clocks need not agree.
CREATE FUNCTION hookcast_sync_concurrency(
  p_channel uuid, p_holder text, p_limit integer, p_lease_ms integer,
  p_keep integer[], p_release integer[], p_wants integer, p_take integer
) RETURNS TABLE (kept integer[], granted integer[], others integer[]) LANGUAGE plpgsql AS $$
DECLARE
  v_now timestamptz := clock_timestamp();
  v_until timestamptz := v_now + p_lease_ms * interval '1 millisecond';
BEGIN
  IF p_limit > 0 AND NOT EXISTS (
    SELECT 1 FROM channel_concurrency_slots WHERE channel_id = p_channel AND slot = p_limit - 1
  ) THEN
    INSERT INTO channel_concurrency_slots (channel_id, slot)
    SELECT p_channel, g FROM generate_series(0, p_limit - 1) AS g
    ON CONFLICT DO NOTHING;
  END IF;

  IF cardinality(p_release) > 0 THEN
    UPDATE channel_concurrency_slots SET holder = NULL, expires_at = NULL
    WHERE channel_id = p_channel AND holder = p_holder AND slot = ANY (p_release);
  END IF;

  IF cardinality(p_keep) > 0 THEN
    WITH renewed AS (
      UPDATE channel_concurrency_slots SET expires_at = v_until
      WHERE channel_id = p_channel AND holder = p_holder AND slot = ANY (p_keep)
      RETURNING slot
    )
    SELECT coalesce(array_agg(slot ORDER BY slot), '{}') INTO kept FROM renewed;
  ELSE
    kept := '{}';
  END IF;

  IF p_take > 0 AND p_limit > 0 THEN
    WITH free AS (
      SELECT slot FROM channel_concurrency_slots
      WHERE channel_id = p_channel AND slot < p_limit AND (holder IS NULL OR expires_at < v_now)
      ORDER BY slot LIMIT p_take
      FOR UPDATE SKIP LOCKED
    ), taken AS (
      UPDATE channel_concurrency_slots s SET holder = p_holder, expires_at = v_until
      FROM free WHERE s.channel_id = p_channel AND s.slot = free.slot
      RETURNING s.slot
    )
    SELECT coalesce(array_agg(slot ORDER BY slot), '{}') INTO granted FROM taken;
  ELSE
    granted := '{}';
  END IF;

  IF p_wants > 0 THEN
    INSERT INTO channel_limiter_members AS m (channel_id, holder, wants, seen_at)
    VALUES (p_channel, p_holder, p_wants, v_now)
    ON CONFLICT (channel_id, holder) DO UPDATE SET wants = EXCLUDED.wants, seen_at = EXCLUDED.seen_at;
  ELSE
    DELETE FROM channel_limiter_members WHERE channel_id = p_channel AND holder = p_holder;
  END IF;

  SELECT coalesce(array_agg(wants), '{}') INTO others FROM channel_limiter_members
  WHERE channel_id = p_channel AND holder <> p_holder AND wants > 0 AND seen_at > v_now - p_lease_ms * interval '1 millisecond';

  RETURN NEXT;
END $$;
