// The pool of subscriber processes, seen from the main process.

import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { FinishedMsg, FromWorker, InitMsg, MarkReplyMsg, ReadyMsg, ToWorker } from './ipc.js';
import { BENCH_DIR, REPO_ROOT, track } from './servers.js';

type Pending = { resolve: (m: FromWorker) => void; reject: (e: Error) => void };

class WorkerProc {
  readonly child: ChildProcess;
  private readonly waiting = new Map<string, Pending>();
  private exited = false;
  /** Resolves when the process has loaded (its hello message). */
  readonly hello: Promise<FromWorker>;

  constructor(
    readonly index: number,
    private readonly onProgress: (m: FromWorker) => void,
  ) {
    this.child = fork(path.join(BENCH_DIR, 'subscriber-worker.ts'), [], {
      execArgv: ['--import', 'tsx'],
      serialization: 'advanced',
      cwd: REPO_ROOT,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    track(this.child);
    this.hello = this.request(null, 'hello');
    this.hello.catch(() => undefined); // a process that dies first fails its next request too
    this.child.on('message', (raw) => this.onMessage(raw as FromWorker));
    this.child.on('exit', (code, signal) => {
      this.exited = true;
      const err = new Error(`subscriber process ${index} exited (code ${code}, signal ${signal})`);
      for (const p of this.waiting.values()) p.reject(err);
      this.waiting.clear();
    });
  }

  private onMessage(m: FromWorker): void {
    if (m.type === 'progress') return this.onProgress(m);
    if (m.type === 'error') {
      const err = new Error(`subscriber process ${this.index}: ${m.message}`);
      for (const p of this.waiting.values()) p.reject(err);
      this.waiting.clear();
      return;
    }
    const key = m.type === 'mark' ? `mark:${m.id}` : m.type;
    const p = this.waiting.get(key);
    if (p) {
      this.waiting.delete(key);
      p.resolve(m);
    }
  }

  request<T extends FromWorker>(msg: ToWorker | null, key: string): Promise<T> {
    if (this.exited) return Promise.reject(new Error(`subscriber process ${this.index} is gone`));
    const p = new Promise<T>((resolve, reject) => {
      this.waiting.set(key, { resolve: resolve as (m: FromWorker) => void, reject });
    });
    if (msg) this.child.send(msg);
    return p;
  }

  send(msg: ToWorker): void {
    if (!this.exited) this.child.send(msg);
  }

  close(timeoutMs: number): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.child.kill('SIGKILL');
      }, timeoutMs);
      this.child.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      this.send({ type: 'close' });
    });
  }
}

export interface RampProgress {
  opened: number;
  subscribed: number;
  failed: number;
}

export class Workers {
  private readonly procs: WorkerProc[];
  private readonly progress: RampProgress[];
  private markId = 0;

  constructor(count: number, onProgress: (total: RampProgress) => void) {
    this.progress = Array.from({ length: count }, () => ({ opened: 0, subscribed: 0, failed: 0 }));
    this.procs = Array.from(
      { length: count },
      (_, i) =>
        new WorkerProc(i, (m) => {
          if (m.type !== 'progress') return;
          this.progress[i] = { opened: m.opened, subscribed: m.subscribed, failed: m.failed };
          const t = this.progress.reduce((a, p) => ({ opened: a.opened + p.opened, subscribed: a.subscribed + p.subscribed, failed: a.failed + p.failed }));
          onProgress(t);
        }),
    );
  }

  get count(): number {
    return this.procs.length;
  }

  /**
   * Opens connections [0, total) split evenly over the processes; resolves when
   * every one is subscribed or failed. `tokens[i]`, when given, is connection
   * i's token (signed ahead); each process gets its slice.
   */
  ramp(base: Omit<InitMsg, 'type' | 'worker' | 'from' | 'to' | 'tokens'>, total: number, tokens?: string[]): Promise<ReadyMsg[]> {
    const n = this.procs.length;
    return Promise.all(
      this.procs.map((p, w) => {
        const from = Math.floor((w * total) / n);
        const to = Math.floor(((w + 1) * total) / n);
        const msg: InitMsg = { ...base, type: 'init', worker: w, from, to };
        if (tokens) msg.tokens = tokens.slice(from, to);
        return p.request<ReadyMsg>(msg, 'ready');
      }),
    );
  }

  /** Resolves when every process has loaded and listens (so a measurement that starts now leaves their start-up out). */
  async started(): Promise<void> {
    await Promise.all(this.procs.map((p) => p.hello));
  }

  mark(opts: { recordFrom?: number; takeHistogram?: boolean } = {}): Promise<MarkReplyMsg[]> {
    const id = ++this.markId;
    return Promise.all(this.procs.map((p) => p.request<MarkReplyMsg>({ type: 'mark', id, ...opts }, `mark:${id}`)));
  }

  finish(published: number[]): Promise<FinishedMsg[]> {
    return Promise.all(this.procs.map((p) => p.request<FinishedMsg>({ type: 'finish', published }, 'finished')));
  }

  async close(): Promise<void> {
    await Promise.all(this.procs.map((p) => p.close(5000)));
  }
}

export function sum<T>(list: T[], f: (x: T) => number): number {
  let s = 0;
  for (const x of list) s += f(x);
  return s;
}
