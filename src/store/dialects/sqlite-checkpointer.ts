import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** How often the checkpointer copies committed pages from the WAL into the database file. */
const CHECKPOINT_EVERY_MS = 200;

/**
 * Moves SQLite's WAL checkpoints off the main thread. By default the connection that commits runs
 * the checkpoint once the WAL passes 1,000 pages, inside its COMMIT: after a 10,000-change apply
 * that is ~20 MB copied while every other request waits. The writer turns that off
 * (`wal_autocheckpoint = 0`) and this thread, with a connection of its own, checkpoints passively
 * a few times a second: it never takes the write lock, so writers and readers go on meanwhile.
 *
 * The worker is inline CommonJS (not a file of ours) so it runs the same from the sources and from
 * the compiled build. Returns a function that stops it.
 */
export function startCheckpointer(file: string): () => Promise<void> {
  const sqlitePath = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(
    `
    const { parentPort, workerData } = require('node:worker_threads');
    const SQLite = require(workerData.sqlitePath);
    const db = new SQLite(workerData.file);
    db.pragma('busy_timeout = 1000');
    const tick = () => {
      try { db.pragma('wal_checkpoint(PASSIVE)'); } catch { /* busy or closing: the next tick tries again */ }
    };
    const timer = setInterval(tick, workerData.everyMs);
    parentPort.on('message', () => {
      clearInterval(timer);
      tick();
      db.close();
      parentPort.close();
    });
    `,
    { eval: true, workerData: { file, sqlitePath, everyMs: CHECKPOINT_EVERY_MS } },
  );
  // A process that has nothing else to do may exit; the last checkpoint happens when the writer closes.
  worker.unref();
  worker.on('error', () => {
    /* the writer falls back to checkpointing on close; nothing is lost */
  });
  return async () => {
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    // Held while it stops: waiting on an unreferenced thread alone would let the process exit here.
    worker.ref();
    worker.postMessage('stop');
    await exited;
  };
}
