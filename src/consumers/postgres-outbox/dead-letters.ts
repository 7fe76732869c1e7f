// The outbox's dead letters, for the admin UI: list them (newest first),
// retry some (moved back into the outbox in one transaction, so the
// consumer publishes them again as new rows), or delete them.

import type pg from 'pg';
import type { DeadLetterRow, DeadLetterPage, DeadLetters } from '../consumer.js';

/** Ids in one call at most: a retry is one transaction. */
export const MAX_IDS = 1000;

export class OutboxDeadLetters implements DeadLetters {
  /** How the outbox's payload column takes a dead letter's jsonb payload back; read once. */
  private payloadExpr: Promise<string> | null = null;

  constructor(
    private readonly pool: () => pg.Pool,
    private readonly table: string,
    private readonly deadLetterTable: string,
  ) {}

  async list(limit: number, before?: number): Promise<DeadLetterPage> {
    const r = await this.pool().query<DeadLetterRow & { id: string; outbox_id: string }>(
      `SELECT id, outbox_id, consumer, method, payload, partition, created_at, attempts, last_error, failed_at
         FROM ${this.deadLetterTable} WHERE ($1::bigint IS NULL OR id < $1) ORDER BY id DESC LIMIT $2`,
      [before ?? null, limit + 1],
    );
    // The consumer's pool reads jsonb as its text (RAW_JSON_TYPES): always valid JSON.
    const payload = (p: unknown) => (typeof p === 'string' ? (JSON.parse(p) as unknown) : p);
    const rows = r.rows.slice(0, limit).map((row) => ({ ...row, id: Number(row.id), outbox_id: Number(row.outbox_id), payload: payload(row.payload) }));
    return { items: rows, more: r.rows.length > limit };
  }

  async retry(ids: number[]): Promise<number> {
    const payload = await (this.payloadExpr ??= this.readPayloadExpr().catch((err: unknown) => {
      this.payloadExpr = null;
      throw err;
    }));
    const client = await this.pool().connect();
    try {
      await client.query('BEGIN');
      const moved = await client.query(
        `WITH gone AS (DELETE FROM ${this.deadLetterTable} WHERE id = ANY($1::bigint[]) RETURNING id, method, payload, partition)
         INSERT INTO ${this.table} (method, payload, partition) SELECT method, ${payload}, partition FROM gone ORDER BY id`,
        [ids],
      );
      await client.query('COMMIT');
      return moved.rowCount ?? 0;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async remove(ids: number[]): Promise<number> {
    const r = await this.pool().query(`DELETE FROM ${this.deadLetterTable} WHERE id = ANY($1::bigint[])`, [ids]);
    return r.rowCount ?? 0;
  }

  /**
   * A dead letter's payload is jsonb: a payload that was not JSON was kept as
   * a JSON string. Back into a json/jsonb column it goes as it is; into a text
   * or bytea column such a string is unwrapped to the original text.
   */
  private async readPayloadExpr(): Promise<string> {
    const r = await this.pool().query<{ type: string }>(
      `SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = $1::regclass AND attname = 'payload' AND NOT attisdropped`,
      [this.table],
    );
    const type = r.rows[0]?.type ?? 'jsonb';
    const text = `(CASE WHEN jsonb_typeof(payload) = 'string' THEN payload #>> '{}' ELSE payload::text END)`;
    if (type === 'jsonb' || type === 'json') return `payload::${type}`;
    if (type === 'bytea') return `convert_to(${text}, 'UTF8')`;
    return `${text}::${type}`;
  }
}
