import v8 from 'node:v8';
import vm from 'node:vm';

/**
 * Whether nothing holds `ref`'s target any more: a full collection runs, then the WeakRef is
 * read. A WeakRef keeps its target alive until the job that made it ends, so this waits a
 * turn first. For tests of what a long run must let go of (a crashed node's state).
 */
export async function isCollected(ref: WeakRef<object>): Promise<boolean> {
  await new Promise((resolve) => setImmediate(resolve));
  collectGarbage();
  return ref.deref() === undefined;
}

let gc: (() => void) | undefined;
function collectGarbage(): void {
  if (gc === undefined) {
    v8.setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('gc') as () => void;
  }
  gc();
}
