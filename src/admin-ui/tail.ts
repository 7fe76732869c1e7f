// Channel tail: a channel's publications as they happen, optionally after its
// history from a position, read from admin/tail's NDJSON stream. The newest is
// on top; the list keeps the last 500.

import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { streamNDJSON } from './api.js';
import { clock, json } from './format.js';

const CAP = 500;

interface Publication {
  offset?: number;
  data: unknown;
  info?: { user?: string; client?: string; [key: string]: unknown };
  tags?: Record<string, string>;
}

type Line =
  | { type: 'history'; publication: Publication }
  | { type: 'publication'; publication: Publication }
  | { type: 'live'; offset?: number; epoch?: string }
  | { type: 'gap' }
  | { type: 'error'; error: { code: number; message: string } };

/** A publication as it came, or the mark of a gap (the server skipped some: the stream fell behind). */
type Row = { key: number; at: number } & ({ kind: 'history' | 'live'; pub: Publication } | { kind: 'gap' });

type State = 'idle' | 'connecting' | 'history' | 'live' | 'stopped' | 'ended' | 'error';

const STATE_TEXT: Record<State, string> = {
  idle: 'Not watching.',
  connecting: 'Connecting…',
  history: 'Reading history…',
  live: 'Live.',
  stopped: 'Stopped.',
  ended: 'The server closed the stream.',
  error: 'Stopped on an error:',
};

function TailRow({ row }: { row: Row }) {
  if (row.kind === 'gap') return html`<li class="tail-gap" data-kind="gap">${clock(row.at)} · some publications were skipped here: the stream fell behind</li>`;
  const { pub } = row;
  return html`<li data-offset=${pub.offset ?? ''} data-kind=${row.kind}>
    <div class="tail-meta">
      <span class="offset">${pub.offset !== undefined ? `#${pub.offset}` : '#–'}</span>
      <span class=${`badge badge-${row.kind}`}>${row.kind}</span>
      <span class="muted">${clock(row.at)}</span>
      ${pub.info?.user !== undefined ? html`<span class="muted">user <code>${pub.info.user || '""'}</code></span>` : null}
      ${pub.tags && Object.keys(pub.tags).length > 0 ? html`<span class="muted">tags <code>${json(pub.tags, 0)}</code></span>` : null}
    </div>
    <pre class="tail-data">${json(pub.data, 0)}</pre>
  </li>`;
}

export function TailPage() {
  const [form, setForm] = useState({ channel: '', offset: '', epoch: '', limit: '' });
  const [state, setState] = useState<State>('idle');
  const [message, setMessage] = useState<string | null>(null);
  const [watching, setWatching] = useState<string | null>(null);
  const [rows, setRows] = useState<Row[]>([]);
  const [paused, setPaused] = useState(false);
  const [pending, setPending] = useState(0);
  const controller = useRef<AbortController | null>(null);
  const queue = useRef<Row[]>([]);
  const flushTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const pausedRef = useRef(false);
  const seq = useRef(0);

  useEffect(
    () => () => {
      controller.current?.abort();
      clearTimeout(flushTimer.current);
    },
    [],
  );

  // Lines arrive in bursts: render at most every 80 ms, newest first, CAP rows at most.
  const flush = () => {
    flushTimer.current = undefined;
    if (pausedRef.current) {
      setPending(queue.current.length);
      return;
    }
    const batch = queue.current.reverse();
    queue.current = [];
    setPending(0);
    if (batch.length > 0) setRows((old) => batch.concat(old).slice(0, CAP));
  };
  const enqueue = (row: Row) => {
    queue.current.push(row);
    if (queue.current.length > CAP) queue.current.splice(0, queue.current.length - CAP);
    flushTimer.current ??= setTimeout(flush, 80);
  };

  const stop = (next: State = 'stopped') => {
    controller.current?.abort();
    controller.current = null;
    setState(next);
  };

  const start = async (e?: Event) => {
    e?.preventDefault();
    const channel = form.channel.trim();
    if (channel === '') return setMessage('Enter a channel.');
    const body: { channel: string; since?: { offset: number; epoch: string }; limit?: number } = { channel };
    if (form.offset.trim() !== '' || form.epoch.trim() !== '') {
      if (!/^\d+$/.test(form.offset.trim())) return setMessage('A position needs an offset (a whole number), with the epoch it belongs to.');
      body.since = { offset: Number(form.offset.trim()), epoch: form.epoch.trim() };
    }
    if (form.limit.trim() !== '') {
      if (!/^\d+$/.test(form.limit.trim())) return setMessage('The limit must be a whole number (0 or more).');
      body.limit = Number(form.limit.trim());
    }
    controller.current?.abort();
    const own = new AbortController();
    controller.current = own;
    queue.current = [];
    setRows([]);
    setPending(0);
    setMessage(null);
    setWatching(channel);
    setState(body.since || body.limit !== undefined ? 'history' : 'connecting');
    let failed = false;
    try {
      await streamNDJSON('admin/tail', body, own.signal, (raw) => {
        const line = raw as Line;
        switch (line.type) {
          case 'history':
          case 'publication':
            enqueue({ key: ++seq.current, kind: line.type === 'history' ? 'history' : 'live', at: Date.now(), pub: line.publication });
            if (line.type === 'publication') setState('live');
            break;
          case 'live':
            setState('live');
            if (line.epoch !== undefined) setMessage(`Stream position: offset ${line.offset ?? '–'}, epoch ${line.epoch}`);
            break;
          case 'gap':
            enqueue({ key: ++seq.current, kind: 'gap', at: Date.now() });
            break;
          case 'error':
            failed = true;
            setMessage(`Error ${line.error.code}: ${line.error.message}`);
            break;
        }
      });
      // On "live" the stream is open: the header has come, every later line is live.
      if (!own.signal.aborted) {
        controller.current = null;
        setState(failed ? 'error' : 'ended');
      }
    } catch (err) {
      if (own.signal.aborted) return;
      controller.current = null;
      setState('error');
      setMessage(err instanceof Error ? err.message : String(err));
    }
    flush();
  };

  const togglePause = () => {
    pausedRef.current = !pausedRef.current;
    setPaused(pausedRef.current);
    if (!pausedRef.current) flush();
  };

  const clear = () => {
    queue.current = [];
    setPending(0);
    setRows([]);
  };

  const running = state === 'connecting' || state === 'history' || state === 'live';
  const input = (name: keyof typeof form) => (e: Event) => setForm((old) => ({ ...old, [name]: (e.currentTarget as HTMLInputElement).value }));

  return html`<section class="page">
    <header class="page-head">
      <h1>Channel tail</h1>
      <p class="muted">
        Watch what a channel carries, live. Give an offset and epoch to read history from that position first, or a limit for the last publications.
      </p>
    </header>
    <form class="card tail-form" onSubmit=${start}>
      <label class="field grow">
        <span class="field-label">Channel<span class="req">*</span></span>
        <input type="text" data-testid="tail-channel" value=${form.channel} onInput=${input('channel')} placeholder="news" spellcheck=${false} />
      </label>
      <label class="field narrow">
        <span class="field-label">Since offset</span>
        <input type="text" inputmode="numeric" data-testid="tail-offset" value=${form.offset} onInput=${input('offset')} />
      </label>
      <label class="field">
        <span class="field-label">Epoch</span>
        <input type="text" data-testid="tail-epoch" value=${form.epoch} onInput=${input('epoch')} spellcheck=${false} />
      </label>
      <label class="field narrow">
        <span class="field-label">Limit</span>
        <input type="text" inputmode="numeric" data-testid="tail-limit" value=${form.limit} onInput=${input('limit')} placeholder="last n" />
      </label>
      <div class="tail-buttons">
        <button class="btn btn-primary" type="submit" data-testid="tail-start">${running ? 'Restart' : 'Start'}</button>
        <button class="btn" type="button" data-testid="tail-stop" disabled=${!running} onClick=${() => stop()}>Stop</button>
      </div>
    </form>
    <div class="tail-bar">
      <span class=${`status-dot status-${state}`}></span>
      <span data-testid="tail-status" data-state=${state}
        >${watching && state !== 'idle' ? html`<strong>${watching}</strong> · ` : null}${STATE_TEXT[state]}</span
      >
      ${message ? html`<span class=${state === 'error' ? 'tail-message error-text' : 'tail-message muted'}>${message}</span>` : null}
      <span class="spacer"></span>
      <span class="muted"
        >${rows.filter((r) => r.kind !== 'gap').length} shown${rows.length >= CAP ? ` (last ${CAP})` : ''}${pending > 0 ? ` · ${pending} waiting` : ''}</span
      >
      <button class="btn btn-small" type="button" data-testid="tail-pause" onClick=${togglePause}>${paused ? 'Resume' : 'Pause'}</button>
      <button class="btn btn-small" type="button" data-testid="tail-clear" onClick=${clear}>Clear</button>
    </div>
    <ul class="tail-list" data-testid="tail-list">
      ${rows.length === 0 ? html`<li class="tail-empty muted">${running ? 'Waiting for publications…' : 'Publications show here.'}</li>` : null}
      ${rows.map((r) => html`<${TailRow} key=${r.key} row=${r} />`)}
    </ul>
  </section>`;
}
