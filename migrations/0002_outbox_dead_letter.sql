-- Tributary migration 0002: the dead-letter table of the outbox consumer.
--
-- A row that can never be published (unknown method, malformed payload, a
-- non-retryable API error such as an unknown channel), or that failed with a
-- retryable error max_attempts times, is moved here in the same transaction
-- that deletes it from the outbox; the partition then goes on.
-- Default name: "<outbox table>_dead_letter" (consumer option dead_letter_table_name).

CREATE TABLE IF NOT EXISTS outbox_dead_letter (
  id          bigserial PRIMARY KEY,
  outbox_id   bigint NOT NULL,            -- the original row
  method      text NOT NULL,
  payload     jsonb,                      -- a payload that was not JSON is kept as a JSON string
  partition   integer NOT NULL,
  created_at  timestamptz,
  consumer    text NOT NULL,              -- the consumer that gave up on it
  attempts    integer NOT NULL,           -- dispatch attempts made
  last_error  text NOT NULL,
  failed_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS outbox_dead_letter_partition_idx ON outbox_dead_letter (partition, id);
