// The cross-node control plane (spec server-api.md §4.6): heartbeats that
// keep a registry of live nodes, surveys that gather an answer from every
// node, and by-user commands (subscribe, unsubscribe, disconnect, refresh)
// that reach connections on every node. Messages travel through the broker's
// publishControl/onControl; with the memory broker nothing ever arrives and
// every survey is answered by this node alone.
//
// Messages use Tributary's own JSON encoding, not Centrifugo's protobuf: see
// messages.ts for why Go and Tributary nodes cannot share control.

import type { Broker } from '../../engines/broker.js';
import type { Logger } from '../../log.js';
import type { Metrics } from '../../metrics.js';
import {
  ControlDecodeError,
  SurveyCodes,
  decodeControl,
  encodeControl,
  type ControlBody,
  type ControlMessage,
  type NodeInfo,
  type SurveyRequest,
} from './messages.js';
import { ControlMetrics } from './metrics.js';
import { NodeRegistry } from './node-registry.js';
import { NodeNotFound, SurveyError, SurveyTimeout, type SurveyHandler } from './survey-handler.js';
import { Surveys, type SurveyOutcome, type SurveyReply } from './surveys.js';
import type { UserCommand } from './user-commands.js';

export interface ControlOptions {
  /** How often this node announces itself. Centrifugo: 3 s. */
  heartbeatIntervalMs: number;
  /** A node not heard from for this long is dropped. Centrifugo: 7 s (two missed beats and some slack). */
  nodeTtlMs: number;
  /** How often dead nodes are swept (reads also drop them lazily). Centrifugo: 9 s. */
  cleanIntervalMs: number;
  /** How long a survey waits for the other nodes. Centrifugo: 10 s. */
  surveyTimeoutMs: number;
}

export const DEFAULT_CONTROL_OPTIONS: ControlOptions = {
  heartbeatIntervalMs: 3000,
  nodeTtlMs: 7000,
  cleanIntervalMs: 9000,
  surveyTimeoutMs: 10_000,
};

/** What the control plane needs from its node. */
export interface ControlHost {
  readonly id: string;
  readonly broker: Pick<Broker, 'publishControl'>;
  /** This node's current numbers, for heartbeats and `info`. */
  nodeInfo(): NodeInfo;
  applyUserCommand(command: UserCommand): Promise<void>;
}

/** Malformed-message warnings are rate-limited: a misbehaving peer must not flood the log. */
const INVALID_WARN_INTERVAL_MS = 10_000;

export class ControlPlane {
  readonly options: ControlOptions;
  readonly registry: NodeRegistry;
  private readonly surveys = new Surveys();
  private readonly handlers = new Map<string, SurveyHandler>();
  private readonly metrics: ControlMetrics;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private cleanTimer: NodeJS.Timeout | null = null;
  private running = false;
  private heartbeatFailing = false;
  private lastInvalidWarn = 0;
  private invalidSinceWarn = 0;

  constructor(
    private readonly host: ControlHost,
    private readonly log: Logger,
    metrics: Metrics,
    options: Partial<ControlOptions> = {},
  ) {
    this.options = { ...DEFAULT_CONTROL_OPTIONS, ...options };
    this.metrics = new ControlMetrics(metrics);
    this.registry = new NodeRegistry(this.options.nodeTtlMs, {
      joined: (info) => {
        this.log.info({ node: info.uid, name: info.name, version: info.version }, 'node joined');
        this.metrics.nodes(this.registry.size + 1);
      },
      left: (info, reason) => {
        this.log.info({ node: info.uid, name: info.name, reason }, 'node left');
        this.metrics.nodes(this.registry.size + 1);
        this.surveys.nodeGone(info.uid);
      },
    });
  }

  /** Announces this node (failing the start if that is impossible, as Centrifugo does), then keeps announcing. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.metrics.nodes(1);
    await this.send({ type: 'node', body: this.host.nodeInfo() });
    this.heartbeatTimer = setInterval(() => this.beat(), this.options.heartbeatIntervalMs);
    this.heartbeatTimer.unref();
    this.cleanTimer = setInterval(() => this.registry.clean(), this.options.cleanIntervalMs);
    this.cleanTimer.unref();
  }

  /** Stops announcing and tells the other nodes to drop this one now rather than after the TTL. */
  async shutdown(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    if (this.cleanTimer) clearInterval(this.cleanTimer);
    this.heartbeatTimer = this.cleanTimer = null;
    this.surveys.settleAll();
    try {
      await this.send({ type: 'shutdown', body: {} });
    } catch (err) {
      this.log.warn({ err }, 'could not announce shutdown to other nodes; they drop this node after its TTL');
    }
    this.registry.clear();
  }

  /** Every live node: this one first (computed now), then the others as last announced. */
  nodes(): NodeInfo[] {
    return [this.host.nodeInfo(), ...this.registry.list()];
  }

  // ---- by-user commands --------------------------------------------------------

  /**
   * Applies a by-user command here and sends it to every other node, which
   * applies it to its own connections. Either failing rejects.
   */
  async apply(command: UserCommand): Promise<void> {
    const body = { type: command.kind, body: command.cmd } as ControlBody;
    await Promise.all([this.host.applyUserCommand(command), this.send(body)]);
  }

  // ---- surveys -------------------------------------------------------------------

  registerSurveyHandler(op: string, handler: SurveyHandler): void {
    this.handlers.set(op, handler);
  }

  /**
   * Asks every node (this one included) to run `op` on `data`. Waits for the
   * nodes in the registry now, until the survey timeout; a survey that times
   * out returns what arrived, naming the missing nodes in `missing`. The
   * result's replies are keyed by node uid; this node's reply is always there.
   */
  async survey(op: string, data: unknown): Promise<SurveyOutcome> {
    const started = process.hrtime.bigint();
    const awaited = this.registry.list();
    // Opened before the request goes out, so no reply can beat the bookkeeping.
    const { id, done } = this.surveys.open(
      awaited.map((n) => n.uid),
      this.options.surveyTimeoutMs,
    );
    let local: SurveyReply;
    if (awaited.length > 0) {
      // Both at once, and both awaited together: a failed send must not go
      // unobserved while the local answer is still being computed.
      const sent = this.send({ type: 'survey_request', body: { id, op, data } });
      try {
        [, local] = await Promise.all([sent, this.answer(op, data)]);
      } catch (err) {
        this.surveys.cancel(id);
        throw err;
      }
    } else {
      local = await this.answer(op, data);
    }
    const outcome = await done;
    outcome.replies.set(this.host.id, local);
    if (outcome.timedOut) {
      const names = awaited.filter((n) => outcome.missing.includes(n.uid)).map((n) => ({ uid: n.uid, name: n.name }));
      this.log.warn({ op, missing: names, timeout_ms: this.options.surveyTimeoutMs }, 'survey timed out; using the replies that arrived');
    }
    this.metrics.surveyDone(op, Number(process.hrtime.bigint() - started) / 1e9);
    return outcome;
  }

  /**
   * Asks one node (this one included) to run `op` on `data`, as Centrifugo's
   * survey with a target node does. Rejects with NodeNotFound when no such
   * node is alive, and with SurveyTimeout when it does not answer in time.
   */
  async surveyNode(op: string, data: unknown, uid: string): Promise<SurveyReply> {
    if (uid === this.host.id) return this.answer(op, data);
    if (!this.registry.has(uid)) throw new NodeNotFound(uid);
    const started = process.hrtime.bigint();
    const { id, done } = this.surveys.open([uid], this.options.surveyTimeoutMs);
    try {
      await this.send({ type: 'survey_request', body: { id, op, data } }, uid);
    } catch (err) {
      this.surveys.cancel(id);
      throw err;
    }
    const outcome = await done;
    this.metrics.surveyDone(op, Number(process.hrtime.bigint() - started) / 1e9);
    const reply = outcome.replies.get(uid);
    if (reply === undefined) throw outcome.timedOut ? new SurveyTimeout(uid) : new NodeNotFound(uid);
    return reply;
  }

  /** Runs a survey op on this node; never throws, failures become reply codes. */
  private async answer(op: string, data: unknown): Promise<SurveyReply> {
    const handler = this.handlers.get(op);
    if (!handler) return { code: SurveyCodes.methodNotFound, data: null };
    try {
      return { code: SurveyCodes.ok, data: (await handler(data)) ?? null };
    } catch (err) {
      if (err instanceof SurveyError) return { code: err.code, data: null };
      this.log.error({ err, op }, 'survey handler failed');
      return { code: SurveyCodes.internal, data: null };
    }
  }

  // ---- inbound -------------------------------------------------------------------

  /** One message from the broker. Never throws: a bad message is counted, logged and dropped. */
  handle(data: Buffer): void {
    let msg: ControlMessage;
    try {
      msg = decodeControl(data);
      // A heartbeat must describe its sender, or one node could impersonate another in the registry.
      if (msg.type === 'node' && msg.body.uid !== msg.uid) throw new ControlDecodeError('node uid differs from sender uid');
    } catch (err) {
      // Decoding only throws ControlDecodeError; anything else is still the sender's fault, never ours to crash on.
      this.rejected(err instanceof ControlDecodeError ? err : new ControlDecodeError(String(err)), data);
      return;
    }
    // Brokers deliver a node's own broadcasts back to it.
    if (msg.uid === this.host.id) return;
    this.metrics.received(msg.type);
    try {
      this.dispatch(msg);
    } catch (err) {
      this.log.error({ err, type: msg.type, from: msg.uid }, 'control message handling failed');
    }
  }

  private dispatch(msg: ControlMessage): void {
    switch (msg.type) {
      case 'node':
        if (!this.running) return;
        if (this.registry.update(msg.body)) {
          // Answer a newcomer at once, so its registry (and so its `info` and
          // surveys) is complete now instead of after our next heartbeat.
          this.send({ type: 'node', body: this.host.nodeInfo() }, msg.uid).catch((err) => this.log.warn({ err, node: msg.uid }, 'could not greet a new node'));
        }
        return;
      case 'shutdown':
        this.registry.remove(msg.uid, 'shutdown');
        return;
      case 'subscribe':
      case 'unsubscribe':
      case 'disconnect':
      case 'refresh': {
        const command = { kind: msg.type, cmd: msg.body } as UserCommand;
        this.host.applyUserCommand(command).catch((err) => this.log.error({ err, command: msg.type, from: msg.uid }, 'control command failed'));
        return;
      }
      case 'survey_request':
        this.replyToSurvey(msg.uid, msg.body).catch((err) => this.log.warn({ err, op: msg.body.op, to: msg.uid }, 'could not answer a survey'));
        return;
      case 'survey_response':
        if (!this.surveys.reply(msg.body.id, msg.uid, { code: msg.body.code, data: msg.body.data })) {
          this.log.debug({ id: msg.body.id, from: msg.uid }, 'survey reply after the survey ended');
        }
        return;
    }
  }

  private async replyToSurvey(to: string, req: SurveyRequest): Promise<void> {
    const reply = await this.answer(req.op, req.data);
    await this.send({ type: 'survey_response', body: { id: req.id, code: reply.code, data: reply.data } }, to);
  }

  private rejected(err: ControlDecodeError, data: Buffer): void {
    this.metrics.rejected(err.failure);
    this.invalidSinceWarn++;
    const now = Date.now();
    if (now - this.lastInvalidWarn < INVALID_WARN_INTERVAL_MS) return;
    this.log.warn(
      { reason: err.message, ignored: this.invalidSinceWarn, sample: data.subarray(0, 200).toString('utf8') },
      'ignoring malformed control message',
    );
    this.lastInvalidWarn = now;
    this.invalidSinceWarn = 0;
  }

  // ---- outbound ------------------------------------------------------------------

  private async send(m: ControlBody, to?: string): Promise<void> {
    const data = encodeControl(this.host.id, m);
    this.metrics.sent(m.type);
    await this.host.broker.publishControl(data, to);
  }

  /** A periodic heartbeat; a failure is logged once per outage, not every beat. */
  private beat(): void {
    this.send({ type: 'node', body: this.host.nodeInfo() }).then(
      () => {
        if (this.heartbeatFailing) this.log.info('node heartbeats are being delivered again');
        this.heartbeatFailing = false;
      },
      (err) => {
        if (!this.heartbeatFailing) this.log.error({ err }, 'node heartbeat failed; other nodes drop this one if it lasts');
        this.heartbeatFailing = true;
      },
    );
  }
}
