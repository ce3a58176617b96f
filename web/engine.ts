/** The page's side of the worker protocol: one promise per request, matched by id. */
import type { WorkerReply, WorkerRequest } from '../src/web/protocol.js';

type Pending = (reply: WorkerReply) => void;

/** Distributes a request type over the protocol's union, without its id. */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;
export type EngineRequest = WithoutId<WorkerRequest>;

export class Engine {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(url: string) {
    this.worker = new Worker(url, { type: 'module' });
    this.worker.onmessage = (e: MessageEvent<WorkerReply>) => {
      const done = this.pending.get(e.data.id);
      this.pending.delete(e.data.id);
      done?.(e.data);
    };
  }

  request(req: EngineRequest): Promise<WorkerReply> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.worker.postMessage({ ...req, id });
    });
  }
}
