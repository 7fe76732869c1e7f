-- Tributary migration 0001: the outbox table, its (partition, id) index and
-- the trigger that wakes the consumer.
--
-- Written for the default names (table "outbox", notification channel
-- "centrifugo_partition_change"), so it runs as is with psql or any migration
-- tool. `tributary migrate --table NAME --channel NAME` renders it for other
-- names; `tributary migrate --print …` shows the rendered SQL without running it.
--
-- The table has the columns Centrifugo's PostgreSQL consumer reads (id, method,
-- payload, partition) plus created_at, so Centrifugo and Tributary can share it.
-- Applying this to an existing Centrifugo outbox table only adds what is missing.

CREATE TABLE IF NOT EXISTS outbox (
  id         bigserial PRIMARY KEY,
  method     text NOT NULL DEFAULT '',
  payload    jsonb NOT NULL,
  partition  integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Tables created from Centrifugo's docs or tests may lack it; lag and latency metrics read it.
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS created_at timestamptz NOT NULL DEFAULT now();

-- The consumer's select: WHERE partition = $1 ORDER BY id LIMIT $2.
CREATE INDEX IF NOT EXISTS outbox_partition_id_idx ON outbox (partition, id);

-- NOTIFY <channel> with the partition number as text, once per partition an
-- INSERT statement touched (a bulk insert sends one notification per
-- partition, not one per row). NOTIFY is transactional: listeners hear it only
-- after the inserting transaction commits. The channel is the trigger's argument.
CREATE OR REPLACE FUNCTION tributary_notify_partition() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  p integer;
BEGIN
  FOR p IN SELECT DISTINCT partition FROM tributary_new_rows LOOP
    PERFORM pg_notify(TG_ARGV[0], p::text);
  END LOOP;
  RETURN NULL;
END;
$$;

DROP TRIGGER IF EXISTS outbox_notify_partition ON outbox;
CREATE TRIGGER outbox_notify_partition
  AFTER INSERT ON outbox
  REFERENCING NEW TABLE AS tributary_new_rows
  FOR EACH STATEMENT
  EXECUTE FUNCTION tributary_notify_partition('centrifugo_partition_change');
