/**
 * The playground's Web Worker: the engine, the same code as the CLI's, answering the page's
 * requests (src/web/protocol.ts) so that a run never freezes the page. It adds the wall time
 * each request took, which the engine itself never reads.
 */
import { handleRequest } from '../src/web/handleRequest.js';
import type { WorkerReply, WorkerRequest } from '../src/web/protocol.js';

/**
 * The part of DedicatedWorkerGlobalScope this file uses, declared here so that the file
 * type-checks with the page's files (DOM lib): a program of its own with the WebWorker lib
 * type-checked all of src/ a third time. The browser test runs this worker in chromium.
 */
interface WorkerScope {
  onmessage: ((e: MessageEvent<WorkerRequest>) => void) | null;
  postMessage(message: WorkerReply): void;
}
declare const self: WorkerScope;

self.onmessage = (e: MessageEvent<WorkerRequest>): void => {
  const started = performance.now();
  const reply = handleRequest(e.data);
  const wallMs = performance.now() - started;
  const out: WorkerReply = reply.kind === 'played' || reply.kind === 'fingerprint' ? { ...reply, wallMs } : reply;
  self.postMessage(out);
};
