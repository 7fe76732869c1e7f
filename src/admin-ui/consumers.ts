// Consumers: what no real-time server shows: how far behind each outbox and
// Kafka consumer is, per partition, and the outbox rows that were dead-lettered,
// with retry and delete. An overview table first, then one section per consumer.

import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { getJSON, postJSON } from './api.js';
import { ago, count, dateTime, duration, json, rate } from './format.js';
import { usePoll } from './poll.js';

interface OutboxStatus {
  table: string;
  dead_letter_table: string | null;
  partitions: { partition: number; backlog: number; lag_seconds: number; dead_letter: number }[];
  total: { backlog: number; dead_letter: number; max_lag_seconds: number };
}

interface KafkaStatus {
  group: string;
  topics: string[];
  /** Lag as this node last saw it, for the partitions assigned to it. */
  partitions: { topic: string; partition: number; lag: number }[];
  total_lag: number;
  dead_letter_topic: string | null;
  dead_lettered: number;
}

interface Consumer {
  name: string;
  type: 'postgresql' | 'kafka' | string;
  healthy: boolean;
  detail?: string;
  /** null until the server has looked twice (a rate needs two looks). */
  rate_per_sec: number | null;
  /** Whether the consumer keeps dead letters that admin/dead_letters can list. */
  dead_letters?: boolean;
  outbox?: OutboxStatus;
  kafka?: KafkaStatus;
  error?: string;
}

interface DeadLetter {
  id: number | string;
  outbox_id: number | string;
  method: string;
  payload: unknown;
  partition: number;
  created_at: unknown;
  attempts: number;
  last_error: string;
  failed_at: unknown;
}

const PAGE = 50;

/** The channel(s) a dead letter was for: usually why it failed, and cut off in the clipped payload. */
function channelOf(payload: unknown): string {
  if (typeof payload !== 'object' || payload === null) return '';
  const p = payload as { channel?: unknown; channels?: unknown; payload?: unknown };
  if (typeof p.channel === 'string') return p.channel;
  if (Array.isArray(p.channels)) return p.channels.filter((c) => typeof c === 'string').join(', ');
  // A {method, payload} envelope.
  return p.payload !== undefined ? channelOf(p.payload) : '';
}
const TYPE_LABEL: Record<string, string> = { postgresql: 'PostgreSQL outbox', kafka: 'Kafka' };

function Health({ c }: { c: Consumer }) {
  const state = c.healthy ? 'healthy' : 'unhealthy';
  return html`<span class=${`pill pill-${state}`} data-testid="consumer-health" data-healthy=${String(c.healthy)} title=${c.detail ?? ''}>${state}</span>`;
}

function Overview({ consumers }: { consumers: Consumer[] }) {
  return html`<div class="card">
    <table class="table" data-testid="consumers-table">
      <thead>
        <tr>
          <th>Consumer</th>
          <th>Type</th>
          <th>Health</th>
          <th class="num">Rate</th>
          <th class="num">Backlog / lag</th>
          <th class="num">Max lag</th>
          <th class="num">Dead letters</th>
        </tr>
      </thead>
      <tbody>
        ${
          consumers.length === 0
            ? html`<tr class="empty">
                <td colspan="7">No consumers are configured.</td>
              </tr>`
            : null
        }
        ${consumers.map(
          (c) =>
            html`<tr key=${c.name} data-consumer-row=${c.name}>
              <td><a href=${`#/consumers/${encodeURIComponent(c.name)}`} class="strong" onClick=${(e: Event) => jumpTo(e, c.name)}>${c.name}</a></td>
              <td>${TYPE_LABEL[c.type] ?? c.type}</td>
              <td><${Health} c=${c} /></td>
              <td class="num">${c.rate_per_sec === null ? '–' : `${rate(c.rate_per_sec)}/s`}</td>
              <td class="num">${c.outbox ? `${count(c.outbox.total.backlog)} rows` : c.kafka ? `${count(c.kafka.total_lag)} records` : '–'}</td>
              <td class="num">${c.outbox ? duration(c.outbox.total.max_lag_seconds) : '–'}</td>
              <td class="num">${c.outbox ? count(c.outbox.total.dead_letter) : c.kafka ? count(c.kafka.dead_lettered) : '–'}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

/** The overview's links scroll to the consumer's section without leaving the route. */
function jumpTo(e: Event, name: string): void {
  e.preventDefault();
  document.querySelector(`[data-consumer="${CSS.escape(name)}"]`)?.scrollIntoView({ behavior: 'smooth', block: 'start' });
}

function OutboxPartitions({ outbox }: { outbox: OutboxStatus }) {
  return html`<table class="table table-compact table-auto" data-testid="outbox-partitions">
    <thead>
      <tr>
        <th class="num">Partition</th>
        <th class="num">Backlog</th>
        <th class="num">Lag</th>
        <th class="num">Dead letters</th>
      </tr>
    </thead>
    <tbody>
      ${outbox.partitions.map(
        (p) =>
          html`<tr key=${p.partition} data-partition=${p.partition}>
            <td class="num">${p.partition}</td>
            <td class="num">${count(p.backlog)}</td>
            <td class=${p.lag_seconds >= 10 ? 'num warn-text' : 'num'}>${duration(p.lag_seconds)}</td>
            <td class=${p.dead_letter > 0 ? 'num error-text' : 'num'}>${count(p.dead_letter)}</td>
          </tr>`,
      )}
    </tbody>
    <tfoot>
      <tr>
        <th class="num">Total</th>
        <th class="num">${count(outbox.total.backlog)}</th>
        <th class="num">${duration(outbox.total.max_lag_seconds)}</th>
        <th class="num">${count(outbox.total.dead_letter)}</th>
      </tr>
    </tfoot>
  </table>`;
}

function KafkaPartitions({ kafka }: { kafka: KafkaStatus }) {
  return html`<table class="table table-compact table-auto" data-testid="kafka-partitions">
    <thead>
      <tr>
        <th>Topic</th>
        <th class="num">Partition</th>
        <th class="num">Lag</th>
      </tr>
    </thead>
    <tbody>
      ${
        kafka.partitions.length === 0
          ? html`<tr class="empty">
              <td colspan="3">No partitions assigned to this node yet.</td>
            </tr>`
          : null
      }
      ${kafka.partitions.map(
        (p) =>
          html`<tr key=${`${p.topic}/${p.partition}`} data-topic=${p.topic} data-partition=${p.partition}>
            <td>${p.topic}</td>
            <td class="num">${p.partition}</td>
            <td class=${p.lag > 0 ? 'num warn-text' : 'num'}>${count(p.lag)}</td>
          </tr>`,
      )}
    </tbody>
    <tfoot>
      <tr>
        <th colspan="2">Total lag</th>
        <th class="num">${count(kafka.total_lag)}</th>
      </tr>
    </tfoot>
  </table>`;
}

/** The dead-letter list of one outbox consumer: newest first, PAGE at a time, retry or delete the checked ones. */
function DeadLetters({ consumer, total, round, onChanged }: { consumer: string; total: number; round: number; onChanged: () => void }) {
  const [items, setItems] = useState<DeadLetter[] | null>(null);
  const [more, setMore] = useState(false);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [note, setNote] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const [open, setOpen] = useState<Set<string>>(new Set());

  const load = async (before?: DeadLetter['id']) => {
    try {
      const q = `consumer=${encodeURIComponent(consumer)}&limit=${PAGE}${before !== undefined ? `&before=${encodeURIComponent(String(before))}` : ''}`;
      const reply = await getJSON<{ items: DeadLetter[]; more: boolean }>(`admin/dead_letters?${q}`);
      const next = before === undefined ? reply.items : [...(items ?? []), ...reply.items];
      setItems(next);
      setMore(reply.more);
      const ids = new Set(next.map((d) => String(d.id)));
      setSelected((old) => new Set([...old].filter((id) => ids.has(id))));
    } catch (err) {
      setNote({ kind: 'error', text: `Dead letters: ${(err as Error).message}` });
    }
  };

  // Reload when the consumer's dead-letter count moves (a poll saw new ones, or some left) and on Refresh.
  useEffect(() => {
    void load();
  }, [consumer, total, round]);

  const ids = [...selected];
  const act = async (action: 'retry' | 'delete') => {
    setBusy(true);
    setConfirming(false);
    setNote(null);
    try {
      const sent = ids.map((id) => items?.find((d) => String(d.id) === id)?.id ?? id);
      if (action === 'retry') {
        const r = await postJSON<{ retried: number }>('admin/dead_letters/retry', { consumer, ids: sent });
        setNote({ kind: 'ok', text: `Retried ${r.retried} dead letter${r.retried === 1 ? '' : 's'}: back in the outbox.` });
      } else {
        const r = await postJSON<{ deleted: number }>('admin/dead_letters/delete', { consumer, ids: sent });
        setNote({ kind: 'ok', text: `Deleted ${r.deleted} dead letter${r.deleted === 1 ? '' : 's'}.` });
      }
      setSelected(new Set());
      await load();
      onChanged();
    } catch (err) {
      setNote({ kind: 'error', text: (err as Error).message });
    } finally {
      setBusy(false);
    }
  };

  const toggle = (set: Set<string>, id: string) => {
    const next = new Set(set);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    return next;
  };
  const all = items !== null && items.length > 0 && items.every((d) => selected.has(String(d.id)));

  return html`<div class="dlq" data-testid="dead-letters">
    <div class="dlq-bar">
      <h3>Dead letters</h3>
      <span class="muted">${items === null ? 'loading…' : `${items.length}${more ? '+' : ''} shown of ${count(total)}`}</span>
      <span class="spacer"></span>
      ${
        confirming
          ? html`<span class="confirm" data-testid="dlq-confirm">
              Delete ${ids.length} dead letter${ids.length === 1 ? '' : 's'} for good?
              <button class="btn btn-danger btn-small" type="button" data-testid="dlq-confirm-delete" onClick=${() => act('delete')}>Delete</button>
              <button class="btn btn-small" type="button" data-testid="dlq-confirm-cancel" onClick=${() => setConfirming(false)}>Cancel</button>
            </span>`
          : html`<button
                class="btn btn-small btn-primary"
                type="button"
                data-testid="dlq-retry"
                disabled=${busy || ids.length === 0}
                onClick=${() => act('retry')}
              >
                Retry${ids.length ? ` ${ids.length}` : ''}
              </button>
              <button
                class="btn btn-small btn-danger-outline"
                type="button"
                data-testid="dlq-delete"
                disabled=${busy || ids.length === 0}
                onClick=${() => setConfirming(true)}
              >
                Delete${ids.length ? ` ${ids.length}` : ''}
              </button>`
      }
    </div>
    ${note ? html`<div class=${note.kind === 'ok' ? 'alert alert-ok' : 'alert alert-error'} data-testid="dlq-note">${note.text}</div>` : null}
    ${
      items !== null && items.length === 0
        ? html`<p class="muted empty-note">No dead letters.</p>`
        : html`<div class="dlq-scroll">
            <table class="table table-compact dlq-table">
              <thead>
                <tr>
                  <th class="check">
                    <input
                      type="checkbox"
                      data-testid="dlq-select-all"
                      title="select all shown"
                      checked=${all}
                      onChange=${() => setSelected(all ? new Set() : new Set((items ?? []).map((d) => String(d.id))))}
                    />
                  </th>
                  <th class="num">ID</th>
                  <th>Method</th>
                  <th>Channel</th>
                  <th class="num">Part.</th>
                  <th class="num">Attempts</th>
                  <th>Last error</th>
                  <th>Failed</th>
                  <th>Payload</th>
                </tr>
              </thead>
              <tbody>
                ${(items ?? []).map((d) => {
                  const id = String(d.id);
                  const expanded = open.has(id);
                  return html`<tr key=${id} data-testid="dlq-row" data-id=${id} class=${selected.has(id) ? 'selected' : ''}>
                    <td class="check">
                      <input type="checkbox" data-testid="dlq-select" checked=${selected.has(id)} onChange=${() => setSelected((s) => toggle(s, id))} />
                    </td>
                    <td class="num mono" title=${`outbox row ${String(d.outbox_id)}`}>${id}</td>
                    <td><code>${d.method}</code></td>
                    <td class="mono">${channelOf(d.payload)}</td>
                    <td class="num">${d.partition}</td>
                    <td class="num">${d.attempts}</td>
                    <td class="dlq-error">${d.last_error}</td>
                    <td class="nowrap" title=${`created ${dateTime(d.created_at)}`}>
                      ${dateTime(d.failed_at)}<br /><span class="muted">${ago(d.failed_at)}</span>
                    </td>
                    <td class="dlq-payload">
                      <button class="link" type="button" onClick=${() => setOpen((s) => toggle(s, id))}>${expanded ? 'hide' : 'show'}</button>
                      ${expanded ? html`<pre class="code">${json(d.payload)}</pre>` : html`<code class="clip">${json(d.payload, 0)}</code>`}
                    </td>
                  </tr>`;
                })}
              </tbody>
            </table>
          </div>`
    }
    ${more ? html`<button class="btn btn-small" type="button" data-testid="dlq-more" onClick=${() => load(items?.at(-1)?.id)}>Load ${PAGE} more</button>` : null}
  </div>`;
}

function OutboxFacts({ outbox }: { outbox: OutboxStatus }) {
  return html`<div class="consumer-body">
    <${OutboxPartitions} outbox=${outbox} />
    <dl class="facts">
      <dt>Outbox table</dt>
      <dd><code>${outbox.table}</code></dd>
      <dt>Dead-letter table</dt>
      <dd>${outbox.dead_letter_table ? html`<code>${outbox.dead_letter_table}</code>` : html`<span class="muted">none (failed rows are dropped)</span>`}</dd>
      <dt>Backlog</dt>
      <dd>${count(outbox.total.backlog)} rows, oldest ${duration(outbox.total.max_lag_seconds)} behind</dd>
    </dl>
  </div>`;
}

function KafkaFacts({ kafka }: { kafka: KafkaStatus }) {
  return html`<div class="consumer-body">
    <${KafkaPartitions} kafka=${kafka} />
    <dl class="facts">
      <dt>Group</dt>
      <dd><code>${kafka.group}</code></dd>
      <dt>Topics</dt>
      <dd>${kafka.topics.map((t) => html`<code key=${t}>${t}</code> `)}</dd>
      <dt>Dead-letter topic</dt>
      <dd>${kafka.dead_letter_topic ? html`<code>${kafka.dead_letter_topic}</code>` : html`<span class="muted">none</span>`}</dd>
      <dt>Dead-lettered</dt>
      <dd>${count(kafka.dead_lettered)} records</dd>
    </dl>
  </div>`;
}

/** Outbox consumers with a dead-letter table: the server says so in `dead_letters` (else: guess from the status). */
function hasDeadLetters(c: Consumer): boolean {
  return c.dead_letters ?? Boolean(c.outbox?.dead_letter_table);
}

function ConsumerSection({ c, round, onChanged }: { c: Consumer; round: number; onChanged: () => void }) {
  const unit = c.type === 'kafka' ? 'records' : 'rows';
  return html`<section class="card consumer" data-consumer=${c.name} data-type=${c.type}>
    <header class="consumer-head">
      <h2>${c.name}</h2>
      <span class="badge">${TYPE_LABEL[c.type] ?? c.type}</span>
      <${Health} c=${c} />
      <span class="spacer"></span>
      <span class="consumer-rate"><strong>${c.rate_per_sec === null ? '–' : rate(c.rate_per_sec)}</strong> ${unit}/s</span>
    </header>
    ${c.detail ? html`<p class=${c.healthy ? 'muted' : 'warn-text'}>${c.detail}</p>` : null}
    ${c.error ? html`<div class="alert alert-error" data-testid="consumer-error">Status could not be read: ${c.error}</div>` : null}
    ${c.outbox ? html`<${OutboxFacts} outbox=${c.outbox} />` : null} ${c.kafka ? html`<${KafkaFacts} kafka=${c.kafka} />` : null}
    ${hasDeadLetters(c) ? html`<${DeadLetters} consumer=${c.name} total=${c.outbox?.total.dead_letter ?? 0} round=${round} onChanged=${onChanged} />` : null}
  </section>`;
}

export function ConsumersPage() {
  const [consumers, setConsumers] = useState<Consumer[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loadedAt, setLoadedAt] = useState<number | null>(null);
  const [round, setRound] = useState(0);

  const load = async (signal?: AbortSignal) => {
    try {
      const reply = await getJSON<{ consumers: Consumer[] }>('admin/consumers', signal);
      setConsumers(reply.consumers);
      setError(null);
      setLoadedAt(Date.now());
    } catch (err) {
      if (signal?.aborted) return;
      setError((err as Error).message);
    }
  };
  usePoll(load, 5000);

  return html`<section class="page">
    <header class="page-head row">
      <div>
        <h1>Consumers</h1>
        <p class="muted">Outbox and Kafka consumers: health, throughput, how far behind they are, what was dead-lettered.</p>
      </div>
      <span class="spacer"></span>
      ${loadedAt ? html`<span class="muted nowrap">updated ${new Date(loadedAt).toLocaleTimeString()} · every 5 s</span>` : null}
      <button
        class="btn"
        type="button"
        data-testid="consumers-refresh"
        onClick=${() => {
          setRound((r) => r + 1);
          void load();
        }}
      >
        Refresh
      </button>
    </header>
    ${error ? html`<div class="alert alert-error" role="alert">${error}</div>` : null}
    ${consumers === null ? (error ? null : html`<p class="muted">Loading…</p>`) : html`<${Overview} consumers=${consumers} />`}
    ${(consumers ?? []).map((c) => html`<${ConsumerSection} key=${c.name} c=${c} round=${round} onChanged=${() => load()} />`)}
  </section>`;
}
