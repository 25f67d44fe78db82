import type { Logger } from "pino";
import { SessionError } from "../auth/session-error.ts";
import type { Session, SessionVerifier } from "../auth/session.ts";
import {
  DatabaseUnavailableError,
  InvalidArgumentsError,
  RpcContractError,
} from "../db/rpc/errors.ts";
import type { RpcClient } from "../db/rpc/rpc-client.ts";
import { createApiKeyCache } from "./api-key-cache.ts";
import { parseApiKey } from "./api-key-format.ts";
import { createApiKeyMissCache } from "./api-key-miss-cache.ts";
import { createApiKeyRateLimiter } from "./api-key-rate-limiter.ts";
import type { RevocationFeed } from "./revocation-feed.ts";

export interface ApiKeyAuthOptions {
  rpc: RpcClient;
  /**
   * Revocations from every instance (LISTEN/NOTIFY on the SQL transport): the cache serves
   * only while subscribed. null (supabase-js has no LISTEN): the cache TTL is the bound on
   * how long another instance may still accept a revoked key.
   */
  revocations: RevocationFeed | null;
  cacheTtlMs: number;
  /** How long a hash that matched no active key is refused without a lookup; default 2 s. */
  missTtlMs?: number;
  rateLimit: { perMinute: number; burst: number };
  logger: Logger;
  now?: () => number;
}

export interface ApiKeyAuth {
  /** Verifies `cfk_…` bearer tokens into `api_key` sessions. */
  verifier: SessionVerifier;
  /**
   * Call before revoke_api_key, and `confirmed(listeners)` after it committed. It resolves
   * "acknowledged" once that many instances (this one included) have dropped the key; else,
   * once the feeds' heartbeat bound has passed, when every silent instance has turned its
   * cache off: "timeout", or "feed_down" if this instance cannot hear acknowledgements now.
   * "no_feed" at once without a feed (supabase-js: the TTL bounds other instances).
   */
  expectRevocation(keyId: number): {
    confirmed(listeners: number): Promise<RevocationOutcome>;
    cancel(): void;
  };
  /** Drops the key from this instance's cache now. */
  forget(keyId: number): void;
  /** Whether validated keys are served from memory now (false while the feed is down). */
  caching(): boolean;
  /** Last-used writes still in flight (awaited on stop). */
  settled(): Promise<void>;
}

export type RevocationOutcome = "acknowledged" | "timeout" | "feed_down" | "no_feed";

/** Slack on the heartbeat bound for timers and event loops that run late. */
const BOUND_MARGIN_MS = 250;

/** Written at most once per key per minute by this instance; the SQL guards it too. */
const TOUCH_EVERY_MS = 60_000;

export function createApiKeyAuth(options: ApiKeyAuthOptions): ApiKeyAuth {
  const now = options.now ?? Date.now;
  const { rpc, logger } = options;
  const cache = createApiKeyCache({
    ttlMs: options.cacheTtlMs,
    enabled: options.revocations === null,
    now,
  });
  const misses = createApiKeyMissCache({ ttlMs: options.missTtlMs ?? 2_000, now });
  const limiter = createApiKeyRateLimiter({ ...options.rateLimit, now });
  const waiters = new Map<number, Set<(instance: string) => void>>();
  let feedUp = false;
  options.revocations?.start({
    up() {
      feedUp = true;
      cache.setEnabled(true);
    },
    down() {
      feedUp = false;
      cache.setEnabled(false);
    },
    revoked: (keyId) => cache.forget(keyId),
    seen(keyId, instance) {
      for (const wake of waiters.get(keyId) ?? []) wake(instance);
    },
  });

  const lastTouch = new Map<number, number>();
  const pending = new Set<Promise<unknown>>();
  function touch(keyId: number, t: number) {
    if (t - (lastTouch.get(keyId) ?? -Infinity) < TOUCH_EVERY_MS) return;
    if (lastTouch.size >= 10_000) lastTouch.clear();
    lastTouch.set(keyId, t);
    const write = rpc
      .call("touch_api_key", { p_key_id: keyId })
      .catch((err: unknown) =>
        logger.warn({ err, apiKeyId: keyId }, "[api-keys] last-used not recorded"),
      )
      .finally(() => pending.delete(write));
    pending.add(write);
  }

  async function lookup(hash: string) {
    const generation = cache.generation();
    let rows;
    try {
      rows = await rpc.call("authenticate_api_key", { p_key_hash: hash });
    } catch (err) {
      // Fail closed: only our own bug (bad arguments or rows) is a 500; every other failure,
      // known outage or not, is 503 and never an acceptance. Nothing about the key is logged.
      if (err instanceof InvalidArgumentsError || err instanceof RpcContractError) throw err;
      if (!(err instanceof DatabaseUnavailableError))
        logger.error(
          { rpc: "authenticate_api_key", code: (err as { code?: unknown }).code },
          "[api-keys] key lookup failed unexpectedly; answered 503",
        );
      throw new SessionError("key_store_unavailable");
    }
    const row = rows[0];
    if (!row) {
      misses.add(hash);
      throw new SessionError("api_key_invalid");
    }
    const key = {
      keyId: row.key_id,
      userId: row.user_id,
      expiresAt: row.expires_at?.getTime() ?? null,
    };
    cache.set(hash, key, generation);
    // authenticate_api_key marked it used.
    lastTouch.set(key.keyId, now());
    return key;
  }

  const verifier: SessionVerifier = {
    async verify(token): Promise<Session> {
      const parsed = parseApiKey(token);
      if (!parsed) throw new SessionError("malformed");
      if (misses.has(parsed.hash)) throw new SessionError("api_key_invalid");
      let key = cache.get(parsed.hash);
      if (key) touch(key.keyId, now());
      else key = await lookup(parsed.hash);
      const decision = limiter.take(key.keyId);
      if (!decision.ok) throw new SessionError("rate_limited", decision.retryAfterSeconds);
      return {
        userId: key.userId,
        isAnonymous: false,
        actorSource: "api_key",
        apiKeyId: key.keyId,
      };
    },
  };

  return {
    verifier,
    expectRevocation(keyId) {
      const seen = new Set<string>();
      let check: (() => void) | undefined;
      const wake = (instance: string) => {
        seen.add(instance);
        check?.();
      };
      const set = waiters.get(keyId) ?? new Set();
      set.add(wake);
      waiters.set(keyId, set);
      const cancel = () => {
        set.delete(wake);
        if (set.size === 0 && waiters.get(keyId) === set) waiters.delete(keyId);
      };
      return {
        async confirmed(listeners) {
          const feed = options.revocations;
          if (!feed) {
            cancel();
            return "no_feed";
          }
          // An instance that has not acknowledged by then has missed its heartbeat and dropped
          // its cache (pg-revocation-feed.ts): past the bound, no instance serves the key.
          const boundMs = feed.staleAfterMs + BOUND_MARGIN_MS;
          let timer: NodeJS.Timeout | undefined;
          try {
            return await new Promise<RevocationOutcome>((resolve) => {
              // This instance's cache is off; acknowledgements cannot reach it: wait the bound.
              if (!feedUp) return void (timer = setTimeout(resolve, boundMs, "feed_down"));
              check = () => {
                if (seen.size >= listeners) resolve("acknowledged");
              };
              check();
              timer = setTimeout(resolve, boundMs, "timeout");
            });
          } finally {
            clearTimeout(timer);
            cancel();
          }
        },
        cancel,
      };
    },
    forget: (keyId) => cache.forget(keyId),
    caching: () => cache.enabled(),
    async settled() {
      while (pending.size) await Promise.allSettled([...pending]);
    },
  };
}
