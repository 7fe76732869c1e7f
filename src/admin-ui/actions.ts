// Actions: pick a server API method, fill its form, send it through admin/api,
// see exactly what went out and what came back (errors as the server gave them).

import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { callMethod, type MethodReply } from './api.js';
import { clock, json } from './format.js';

type Kind = 'string' | 'json' | 'object' | 'int' | 'bool' | 'list';

interface Field {
  /** The input's name: data-testid="param-<name>". */
  name: string;
  kind: Kind;
  /** Where the value goes in params; [name] when absent. */
  path?: string[];
  required?: boolean;
  label?: string;
  placeholder?: string;
}

interface Method {
  name: string;
  about: string;
  fields: Field[];
}

const channel: Field = { name: 'channel', kind: 'string', required: true, placeholder: 'news' };
const user: Field = { name: 'user', kind: 'string', required: true, placeholder: 'user ID' };
const client: Field = { name: 'client', kind: 'string', placeholder: 'only this connection (client ID)' };
const session: Field = { name: 'session', kind: 'string', placeholder: 'only this session' };
const publishOptions: Field[] = [
  { name: 'tags', kind: 'object', placeholder: '{"key": "value"}' },
  { name: 'idempotency_key', kind: 'string' },
  { name: 'skip_history', kind: 'bool', label: 'skip history' },
  { name: 'delta', kind: 'bool', label: 'delta' },
];

export const METHODS: Method[] = [
  {
    name: 'publish',
    about: 'Publish data into a channel.',
    fields: [channel, { name: 'data', kind: 'json', required: true, placeholder: '{"text": "hello"}' }, ...publishOptions],
  },
  {
    name: 'broadcast',
    about: 'Publish the same data into many channels.',
    fields: [
      { name: 'channels', kind: 'list', required: true, placeholder: 'one channel per line (or comma separated)' },
      { name: 'data', kind: 'json', required: true, placeholder: '{"text": "hello"}' },
      ...publishOptions,
    ],
  },
  { name: 'presence', about: 'Clients subscribed to a channel right now.', fields: [channel] },
  { name: 'presence_stats', about: 'Number of clients and unique users in a channel.', fields: [channel] },
  {
    name: 'history',
    about: "A channel's history stream: publications, offset and epoch.",
    fields: [
      channel,
      { name: 'limit', kind: 'int', placeholder: '0: only the stream position; -1: all' },
      { name: 'since-offset', kind: 'int', path: ['since', 'offset'], label: 'since offset' },
      { name: 'since-epoch', kind: 'string', path: ['since', 'epoch'], label: 'since epoch' },
      { name: 'reverse', kind: 'bool', label: 'newest first' },
    ],
  },
  { name: 'history_remove', about: "Remove a channel's history.", fields: [channel] },
  { name: 'channels', about: 'Active channels (with at least one subscriber).', fields: [{ name: 'pattern', kind: 'string', placeholder: 'e.g. chat:*' }] },
  { name: 'info', about: 'Information about the running nodes.', fields: [] },
  { name: 'subscribe', about: "Subscribe a user's connections to a channel.", fields: [user, channel, client, session] },
  { name: 'unsubscribe', about: "Unsubscribe a user's connections from a channel.", fields: [user, channel, client, session] },
  {
    name: 'disconnect',
    about: "Disconnect a user's connections.",
    fields: [
      user,
      client,
      session,
      { name: 'disconnect-code', kind: 'int', path: ['disconnect', 'code'], label: 'disconnect code', placeholder: 'e.g. 4000' },
      { name: 'disconnect-reason', kind: 'string', path: ['disconnect', 'reason'], label: 'disconnect reason' },
    ],
  },
  {
    name: 'refresh',
    about: "Refresh a user's connections (extend or expire them).",
    fields: [user, client, session, { name: 'expired', kind: 'bool' }, { name: 'expire_at', kind: 'int', label: 'expire at', placeholder: 'unix seconds' }],
  },
];

type Values = Record<string, string | boolean>;

/** The params object of a form, or the first thing wrong with it. */
export function buildParams(method: Method, values: Values): { params: Record<string, unknown> } | { error: string } {
  const params: Record<string, unknown> = {};
  for (const f of method.fields) {
    const raw = values[f.name];
    let value: unknown;
    if (f.kind === 'bool') {
      if (raw !== true) continue;
      value = true;
    } else {
      const text = typeof raw === 'string' ? raw.trim() : '';
      if (text === '') {
        if (f.required) return { error: `${f.label ?? f.name} is required` };
        continue;
      }
      switch (f.kind) {
        case 'string':
          value = text;
          break;
        case 'int':
          if (!/^-?\d+$/.test(text)) return { error: `${f.label ?? f.name} must be a whole number` };
          value = Number(text);
          break;
        case 'list':
          value = text.split(/[\s,]+/).filter((s) => s !== '');
          break;
        case 'json':
        case 'object':
          try {
            value = JSON.parse(text);
          } catch (err) {
            return { error: `${f.label ?? f.name} is not valid JSON: ${(err as Error).message}` };
          }
          if (f.kind === 'object' && (typeof value !== 'object' || value === null || Array.isArray(value))) {
            return { error: `${f.label ?? f.name} must be a JSON object` };
          }
          break;
      }
    }
    const path = f.path ?? [f.name];
    let target = params;
    for (const key of path.slice(0, -1)) target = (target[key] ??= {}) as Record<string, unknown>;
    target[path.at(-1)!] = value;
  }
  return { params };
}

interface Exchange {
  request: { method: string; params: Record<string, unknown> };
  sentAt: number;
  tookMs?: number;
  reply?: MethodReply;
  error?: string;
}

function FieldInput({ field, value, onInput }: { field: Field; value: string | boolean | undefined; onInput: (v: string | boolean) => void }) {
  const testid = `param-${field.name}`;
  const label = html`<span class="field-label">${field.label ?? field.name}${field.required ? html`<span class="req" title="required">*</span>` : null}</span>`;
  if (field.kind === 'bool') {
    return html`<label class="field field-check">
      <input
        type="checkbox"
        name=${field.name}
        data-testid=${testid}
        checked=${value === true}
        onChange=${(e: Event) => onInput((e.currentTarget as HTMLInputElement).checked)}
      />
      ${label}
    </label>`;
  }
  const common = {
    name: field.name,
    'data-testid': testid,
    placeholder: field.placeholder ?? '',
    value: typeof value === 'string' ? value : '',
    onInput: (e: Event) => onInput((e.currentTarget as HTMLInputElement | HTMLTextAreaElement).value),
    spellcheck: false,
  };
  const wide = field.kind === 'json' || field.kind === 'object' || field.kind === 'list';
  return html`<label class=${wide ? 'field field-wide' : 'field'}>
    ${label}
    ${
      wide
        ? html`<textarea class="mono" rows=${field.kind === 'json' ? 6 : 3} ...${common}></textarea>`
        : html`<input type="text" inputmode=${field.kind === 'int' ? 'numeric' : undefined} ...${common} />`
    }
  </label>`;
}

export function ActionsPage() {
  const [methodName, setMethodName] = useState('publish');
  const [values, setValues] = useState<Values>({});
  const [busy, setBusy] = useState(false);
  const [exchange, setExchange] = useState<Exchange | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const method = METHODS.find((m) => m.name === methodName) ?? METHODS[0]!;

  const submit = async (e: Event) => {
    e.preventDefault();
    const built = buildParams(method, values);
    if ('error' in built) {
      setFormError(built.error);
      return;
    }
    setFormError(null);
    const request = { method: method.name, params: built.params };
    const sentAt = Date.now();
    setBusy(true);
    setExchange({ request, sentAt });
    try {
      const reply = await callMethod(request.method, request.params);
      setExchange({ request, sentAt, tookMs: Date.now() - sentAt, reply });
    } catch (err) {
      setExchange({ request, sentAt, tookMs: Date.now() - sentAt, error: err instanceof Error ? err.message : String(err) });
    } finally {
      setBusy(false);
    }
  };

  const field = (f: Field) =>
    html`<${FieldInput}
      key=${`${method.name}:${f.name}`}
      field=${f}
      value=${values[f.name]}
      onInput=${(v: string | boolean) => setValues((old) => ({ ...old, [f.name]: v }))}
    />`;

  const replyError = exchange?.reply?.error ? `Error ${exchange.reply.error.code}: ${exchange.reply.error.message}` : null;
  const shownError = formError ?? exchange?.error ?? replyError;

  return html`<section class="page">
    <header class="page-head">
      <h1>Actions</h1>
      <p class="muted">Run server API methods on this cluster. Requests go through admin/api, as Centrifugo's HTTP API.</p>
    </header>
    <div class="split">
      <form class="card form" onSubmit=${submit} novalidate>
        <label class="field">
          <span class="field-label">Method</span>
          <select
            data-testid="action-method"
            value=${method.name}
            onChange=${(e: Event) => {
              setMethodName((e.currentTarget as HTMLSelectElement).value);
              setFormError(null);
            }}
          >
            ${METHODS.map((m) => html`<option key=${m.name} value=${m.name}>${m.name}</option>`)}
          </select>
        </label>
        <p class="muted about">${method.about}</p>
        <div class="fields">
          ${method.fields.length === 0 ? html`<p class="muted">No parameters.</p>` : null} ${method.fields.filter((f) => f.kind !== 'bool').map(field)}
        </div>
        ${method.fields.some((f) => f.kind === 'bool') ? html`<div class="checks">${method.fields.filter((f) => f.kind === 'bool').map(field)}</div>` : null}
        <div class="form-actions">
          <button class="btn btn-primary" type="submit" data-testid="action-submit" disabled=${busy}>${busy ? 'Sending…' : `Send ${method.name}`}</button>
          <button class="btn" type="button" onClick=${() => setValues({})}>Clear form</button>
        </div>
      </form>
      <div class="card result">
        ${exchange === null && shownError === null ? html`<p class="muted empty-note">The request and the server's reply show here.</p>` : null}
        ${shownError ? html`<div class="alert alert-error" role="alert" data-testid="action-error">${shownError}</div>` : null}
        ${
          exchange
            ? html`<div class="result-block">
                  <div class="result-head">
                    <h2>Request</h2>
                    <span class="muted">sent ${clock(exchange.sentAt)}</span>
                  </div>
                  <pre class="code">${json(exchange.request)}</pre>
                </div>
                <div class="result-block">
                  <div class="result-head">
                    <h2>Response</h2>
                    <span class="muted"
                      >${exchange.tookMs === undefined ? 'waiting…' : `received ${clock(exchange.sentAt + exchange.tookMs)} · ${exchange.tookMs} ms`}</span
                    >
                    ${exchange.reply ? html`<${CopyButton} text=${json(exchange.reply)} />` : null}
                  </div>
                  ${exchange.reply ? html`<pre class=${exchange.reply.error ? 'code code-error' : 'code'} data-testid="action-response">${json(exchange.reply)}</pre>` : null}
                </div>`
            : null
        }
      </div>
    </div>
  </section>`;
}

function CopyButton({ text }: { text: string }) {
  const [done, setDone] = useState(false);
  const copy = () => {
    void navigator.clipboard
      ?.writeText(text)
      .then(() => {
        setDone(true);
        setTimeout(() => setDone(false), 1200);
      })
      .catch(() => {});
  };
  return html`<button class="btn btn-small" type="button" onClick=${copy}>${done ? 'Copied' : 'Copy'}</button>`;
}
