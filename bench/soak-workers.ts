// The soak's subscriber processes (soak-worker.ts), seen from the main
// process: started with the connections split evenly, asked in turn, answered
// by request id. Killed with the bench (servers.ts track).

import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { SoakInit, SoakReply, SoakRequest } from './soak-ipc.js';
import { BENCH_DIR, REPO_ROOT, track } from './servers.js';

type Answer<T extends SoakReply['type']> = Extract<SoakReply, { type: T }>;
type RequestBody = SoakRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

class SoakProc {
  private readonly child: ChildProcess;
  private readonly waiting = new Map<number, { resolve: (m: SoakReply) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private gone: Error | undefined;
  readonly hello: Promise<void>;

  constructor(readonly index: number) {
    this.child = fork(path.join(BENCH_DIR, 'soak-worker.ts'), [], {
      execArgv: ['--import', 'tsx'],
      serialization: 'advanced',
      cwd: REPO_ROOT,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    track(this.child);
    let hello: () => void = () => undefined;
    this.hello = new Promise((resolve) => (hello = resolve));
    this.child.on('message', (raw) => {
      const m = raw as SoakReply;
      if (m.type === 'hello') return hello();
      const id = 'id' in m ? m.id : undefined;
      if (m.type === 'error' && id === undefined) return this.failAll(new Error(`soak subscriber process ${index}: ${m.message}`));
      const w = id !== undefined ? this.waiting.get(id) : undefined;
      if (!w) return;
      this.waiting.delete(id!);
      if (m.type === 'error') w.reject(new Error(`soak subscriber process ${index}: ${m.message}`));
      else w.resolve(m);
    });
    this.child.on('exit', (code, signal) => this.failAll(new Error(`soak subscriber process ${index} exited (code ${code}, signal ${signal})`)));
  }

  init(msg: SoakInit): void {
    this.child.send(msg);
  }

  request<T extends SoakReply['type']>(body: RequestBody): Promise<Answer<T>> {
    if (this.gone) return Promise.reject(this.gone);
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (m: SoakReply) => void, reject });
      this.child.send({ ...body, id });
    });
  }

  private failAll(err: Error): void {
    this.gone = err;
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }
}

export class SoakWorkers {
  private readonly procs: SoakProc[];

  constructor(count: number) {
    this.procs = Array.from({ length: count }, (_, i) => new SoakProc(i));
  }

  get count(): number {
    return this.procs.length;
  }

  /** Hands each process its share of connections [0, total). */
  async init(base: Omit<SoakInit, 'type' | 'worker' | 'from' | 'to'>, total: number): Promise<void> {
    await Promise.all(this.procs.map((p) => p.hello));
    const n = this.procs.length;
    this.procs.forEach((p, w) => p.init({ ...base, type: 'init', worker: w, from: Math.floor((w * total) / n), to: Math.floor(((w + 1) * total) / n) }));
  }

  /** The same request to every process; their answers in process order. */
  all<T extends SoakReply['type']>(body: RequestBody): Promise<Array<Answer<T>>> {
    return Promise.all(this.procs.map((p) => p.request<T>(body)));
  }

  async close(): Promise<void> {
    await Promise.all(this.procs.map((p) => p.request<'ok'>({ type: 'close' }).catch(() => undefined)));
  }
}
