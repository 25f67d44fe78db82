import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { Logger } from "pino";
import postgres, { type Options, type Sql } from "postgres";
import {
  FEED_APPLICATION_NAME,
  HEARTBEAT_APPLICATION_NAME,
  HEARTBEAT_CHANNEL_PREFIX,
  REVOKED_CHANNEL,
  type RevocationFeed,
  type RevocationHandlers,
  SEEN_CHANNEL,
} from "./revocation-feed.ts";

export interface PgRevocationFeedOptions {
  url: string;
  logger: Logger;
  /** First retry after a failed or stale subscription; doubles up to 5 s. */
  retryMs?: number;
  /** How often the feed NOTIFYs itself to prove its LISTEN connection; default 1 s. */
  heartbeatMs?: number;
  /** Down once no heartbeat sent within this long has come back; default 3 s. */
  staleAfterMs?: number;
}

const MAX_RETRY_MS = 5_000;
const CONNECT_TIMEOUT_S = 5;
const SEEN = /^([1-9][0-9]{0,15}):([0-9a-f]{16})$/;
const BEAT = /^([0-9]{1,15}):([0-9]{1,15})$/;

/** One subscription attempt: its own LISTEN and NOTIFY connections, dropped together. */
interface Attempt {
  id: number;
  listen: Sql;
  notify: Sql;
  /** Send time of each heartbeat still in flight, by sequence number. */
  sent: Map<number, number>;
  seq: number;
  listening: boolean;
  up: boolean;
  deadline?: NodeJS.Timeout;
}

/**
 * LISTEN on a dedicated connection, trusted only while it proves itself: every heartbeatMs
 * a second connection NOTIFYs this instance's heartbeat channel, and unless a heartbeat sent
 * at most staleAfterMs ago has come back, the feed is down (cache off) and reconnects. Postgres
 * delivers notifications in commit order, so a heartbeat heard means every revocation that
 * committed before it was sent has been handled. `up` needs one round trip, so a connection
 * that hangs without closing, or a transaction-mode pooler where LISTEN "succeeds" but
 * nothing arrives, never serves from the cache. Not `sql.listen()`: it re-subscribes silently
 * (https://github.com/porsager/postgres/blob/v3.4.9/src/index.js#L147-L183).
 */
export function createPgRevocationFeed(options: PgRevocationFeedOptions): RevocationFeed {
  const instance = randomBytes(8).toString("hex");
  const heartbeatChannel = `${HEARTBEAT_CHANNEL_PREFIX}${instance}`;
  const firstRetry = options.retryMs ?? 250;
  const heartbeatMs = options.heartbeatMs ?? 1_000;
  const staleAfterMs = options.staleAfterMs ?? 3_000;
  const now = () => performance.now();
  let handlers: RevocationHandlers | undefined;
  let closing = false;
  let current: Attempt | undefined;
  let attempts = 0;
  let retryMs = firstRetry;
  let retry: NodeJS.Timeout | undefined;
  let ticker: NodeJS.Timeout | undefined;

  function client(applicationName: string, extra: Record<string, unknown>): Sql {
    // `onnotify` is a connection option postgres.js reads but does not type
    // (https://github.com/porsager/postgres/blob/v3.4.9/src/index.js#L492).
    const config: Options<Record<string, never>> = {
      max: 1,
      idle_timeout: 0,
      max_lifetime: null,
      connect_timeout: CONNECT_TIMEOUT_S,
      onnotice: () => undefined,
      connection: { application_name: applicationName },
      ...extra,
    };
    return postgres(options.url, config);
  }

  function open() {
    if (closing || current) return;
    const attempt: Attempt = {
      id: ++attempts,
      listen: client(FEED_APPLICATION_NAME, {
        onclose: () => fail(attempt, "connection closed"),
        onnotify: (channel: string, payload: string) => notified(attempt, channel, payload),
      }),
      notify: client(HEARTBEAT_APPLICATION_NAME, {}),
      sent: new Map(),
      seq: 0,
      listening: false,
      up: false,
    };
    current = attempt;
    // Connecting and subscribing get the connect timeout plus one heartbeat bound.
    arm(attempt, CONNECT_TIMEOUT_S * 1_000 + staleAfterMs, "subscribe timed out");
    subscribe(attempt).then(
      (counted) => {
        if (current !== attempt) return;
        if (!counted) {
          options.logger.error(
            "[api-keys] the revocation feed's application_name did not reach Postgres (a pooler?); revoke could not count this instance, so its cache stays off",
          );
          return fail(attempt, "not counted");
        }
        attempt.listening = true;
        arm(attempt, staleAfterMs, "no heartbeat came back");
        beat(attempt);
      },
      () => fail(attempt, "subscribe failed"),
    );
  }

  /** LISTENs; true if the backend carries the name revoke_api_key counts listeners by. */
  async function subscribe(attempt: Attempt): Promise<boolean> {
    await attempt.listen.unsafe(
      `listen ${REVOKED_CHANNEL}; listen ${SEEN_CHANNEL}; listen ${heartbeatChannel}`,
    );
    const [row] = await attempt.listen.unsafe<{ name: string }[]>(
      "select current_setting('application_name') as name",
    );
    return row?.name === FEED_APPLICATION_NAME;
  }

  function arm(attempt: Attempt, ms: number, reason: string) {
    clearTimeout(attempt.deadline);
    attempt.deadline = setTimeout(() => fail(attempt, reason), Math.max(0, ms));
  }

  function beat(attempt: Attempt) {
    const seq = ++attempt.seq;
    attempt.sent.set(seq, now());
    attempt.notify
      .unsafe("select pg_notify($1, $2)", [heartbeatChannel, `${attempt.id}:${seq}`])
      .catch(() => undefined);
  }

  function notified(attempt: Attempt, channel: string, payload: string) {
    if (channel === REVOKED_CHANNEL) return revoked(attempt, Number(payload));
    if (channel === SEEN_CHANNEL) {
      const seen = SEEN.exec(payload);
      if (seen) handlers?.seen(Number(seen[1]), seen[2]!);
      return;
    }
    const beat = channel === heartbeatChannel ? BEAT.exec(payload) : null;
    if (!beat || current !== attempt || Number(beat[1]) !== attempt.id) return;
    const seq = Number(beat[2]);
    const sentAt = attempt.sent.get(seq);
    if (sentAt === undefined) return;
    for (const s of attempt.sent.keys()) if (s <= seq) attempt.sent.delete(s);
    arm(attempt, sentAt + staleAfterMs - now(), "heartbeat stale");
    if (attempt.up) return;
    attempt.up = true;
    retryMs = firstRetry;
    options.logger.info("[api-keys] revocation feed subscribed and heard its heartbeat");
    handlers?.up();
  }

  function revoked(attempt: Attempt, keyId: number) {
    if (!Number.isSafeInteger(keyId) || keyId <= 0) return;
    handlers?.revoked(keyId);
    // Dropped from this instance's cache: tell the revoking instance, which waits for everyone.
    attempt.listen
      .unsafe("select pg_notify($1, $2)", [SEEN_CHANNEL, `${keyId}:${instance}`])
      .catch(() => undefined);
  }

  function fail(attempt: Attempt, reason: string) {
    if (closing || current !== attempt) return;
    current = undefined;
    clearTimeout(attempt.deadline);
    if (attempt.up)
      options.logger.warn(
        { reason },
        "[api-keys] revocation feed lost; cache off until a heartbeat comes back",
      );
    handlers?.down();
    // A hung socket never finishes a graceful end: destroy both at once.
    void attempt.listen.end({ timeout: 0 }).catch(() => undefined);
    void attempt.notify.end({ timeout: 0 }).catch(() => undefined);
    if (retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      open();
    }, retryMs);
    retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
  }

  return {
    staleAfterMs,
    start(next) {
      handlers = next;
      ticker = setInterval(() => {
        if (current?.listening) beat(current);
      }, heartbeatMs);
      open();
    },
    async close() {
      closing = true;
      clearInterval(ticker);
      clearTimeout(retry);
      const attempt = current;
      current = undefined;
      clearTimeout(attempt?.deadline);
      handlers?.down();
      if (attempt)
        await Promise.all([attempt.listen.end({ timeout: 1 }), attempt.notify.end({ timeout: 1 })]);
    },
  };
}
