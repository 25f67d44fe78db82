import { Worker } from "node:worker_threads";

/** One round of load against one URL. Latencies in ms. */
export interface Summary {
  perSec: number;
  p50: number;
  p99: number;
  failures: number;
}

export interface LoadJob {
  url: string;
  total: number;
  connections: number;
  body: string;
  headers?: Record<string, string>;
  /** A header given a new UUID per request (a webhook's X-GitHub-Delivery). */
  freshIdHeader?: string;
  okStatus: number;
}

const WORKER = new URL("./bench-load.mjs", import.meta.url);

/** Runs one round in a worker thread (scripts/bench-load.mjs), off the measured event loop. */
export async function runLoad(job: LoadJob): Promise<Summary> {
  const worker = new Worker(WORKER, { workerData: { headers: {}, ...job } });
  const r = await nextMessage<{ latencies: number[]; seconds: number; failures: number }>(worker);
  const sorted = r.latencies.sort((a, b) => a - b);
  return {
    perSec: sorted.length / r.seconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    failures: r.failures,
  };
}

export function nextMessage<T>(worker: Worker): Promise<T> {
  return new Promise((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
}

/** Of values sorted ascending. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Medians over rounds: one round slowed by the machine moves no figure. */
export function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
