import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import postgres, { type Options } from "postgres";
import {
  FEED_APPLICATION_NAME,
  REVOKED_CHANNEL,
  type RevocationFeed,
  type RevocationHandlers,
  SEEN_CHANNEL,
} from "./revocation-feed.ts";

export interface PgRevocationFeedOptions {
  url: string;
  logger: Logger;
  /** First retry after a failed subscribe; doubles up to 5 s. */
  retryMs?: number;
}

const MAX_RETRY_MS = 5_000;
const SEEN = /^([1-9][0-9]{0,15}):([0-9a-f]{16})$/;

/**
 * LISTEN on a dedicated connection. Not `sql.listen()`: on a dropped connection it
 * re-subscribes silently, giving no moment to stop trusting the cache
 * (https://github.com/porsager/postgres/blob/v3.4.9/src/index.js#L147-L183). Here the
 * connection's `onclose` reports the drop at once, and `up` follows only a confirmed LISTEN.
 */
export function createPgRevocationFeed(options: PgRevocationFeedOptions): RevocationFeed {
  const instance = randomBytes(8).toString("hex");
  const firstRetry = options.retryMs ?? 250;
  let handlers: RevocationHandlers | undefined;
  let closing = false;
  let subscribed = false;
  let subscribing = false;
  let retryMs = firstRetry;
  let timer: NodeJS.Timeout | undefined;

  // `onnotify` is a connection option postgres.js reads but does not type
  // (https://github.com/porsager/postgres/blob/v3.4.9/src/index.js#L492).
  const config: Options<Record<string, never>> & {
    onnotify: (channel: string, payload: string) => void;
  } = {
    max: 1,
    idle_timeout: 0,
    max_lifetime: null,
    connect_timeout: 5,
    onnotice: () => undefined,
    connection: { application_name: FEED_APPLICATION_NAME },
    onclose: () => lost(),
    onnotify: (channel, payload) => {
      if (channel === REVOKED_CHANNEL) revoked(Number(payload));
      const seen = channel === SEEN_CHANNEL ? SEEN.exec(payload) : null;
      if (seen) handlers?.seen(Number(seen[1]), seen[2]!);
    },
  };
  const sql = postgres(options.url, config);

  function revoked(keyId: number) {
    if (!Number.isSafeInteger(keyId) || keyId <= 0) return;
    handlers?.revoked(keyId);
    // Dropped from this instance's cache: tell the revoking instance, which waits for everyone.
    sql
      .unsafe("select pg_notify($1, $2)", [SEEN_CHANNEL, `${keyId}:${instance}`])
      .catch(() => undefined);
  }

  function lost() {
    if (closing) return;
    if (subscribed)
      options.logger.warn("[api-keys] revocation feed lost; cache off until re-subscribed");
    subscribed = false;
    handlers?.down();
    schedule();
  }

  function schedule() {
    if (closing || timer || subscribing) return;
    timer = setTimeout(() => {
      timer = undefined;
      void subscribe();
    }, retryMs);
    retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
  }

  async function subscribe() {
    if (closing || subscribing || subscribed) return;
    subscribing = true;
    try {
      await sql.unsafe(`listen ${REVOKED_CHANNEL}; listen ${SEEN_CHANNEL}`);
      subscribing = false;
      if (closing) return;
      subscribed = true;
      retryMs = firstRetry;
      options.logger.info("[api-keys] revocation feed subscribed");
      handlers?.up();
    } catch {
      subscribing = false;
      handlers?.down();
      schedule();
    }
  }

  return {
    start(next) {
      handlers = next;
      void subscribe();
    },
    async close() {
      closing = true;
      clearTimeout(timer);
      handlers?.down();
      await sql.end({ timeout: 1 });
    },
  };
}
