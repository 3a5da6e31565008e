/**
 * A threaded engine created inside a Web Worker (where the calling thread may block in
 * Atomics.wait, unlike a page's main thread): two threads on a cross-origin isolated page (the
 * 'browser-isolated' project), one thread elsewhere; the numbers of a one-thread engine either way.
 */
import { expect, it } from 'vitest';

it('a threaded engine inside a worker runs on the asked threads where the page is isolated, with one-thread numbers', async () => {
  const worker = new Worker(new URL('./threads-worker.ts', import.meta.url), { type: 'module' });
  const reply = await new Promise<{ threads: number; same: boolean; isolated: boolean }>((resolve, reject) => {
    worker.onmessage = (e) => resolve(e.data);
    worker.onerror = (e) => reject(new Error(e.message));
    worker.postMessage({ n: 700, c: 1000 });
  });
  worker.terminate();
  expect(reply.isolated).toBe(globalThis.crossOriginIsolated === true);
  expect(reply.threads).toBe(reply.isolated ? 2 : 1);
  expect(reply.same).toBe(true);
});
