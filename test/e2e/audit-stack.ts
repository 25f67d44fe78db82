import { randomBytes } from "node:crypto";
import { afterEach } from "vitest";
import { INNGEST_APP_ID, INNGEST_SERVE_PATH } from "../../inngest.config.ts";
import { createPgRevocationFeed } from "../../src/api-keys/pg-revocation-feed.ts";
import { createApplication } from "../../src/application.ts";
import { mintDevToken } from "../../src/auth/mint-dev-token.ts";
import { createSessionVerifier } from "../../src/auth/session-verifier.ts";
import type { SessionVerifier } from "../../src/auth/session.ts";
import { readEnv } from "../../src/config/env.ts";
import { createRpcClient, type RpcClient } from "../../src/db/rpc/rpc-client.ts";
import { createSqlTransport } from "../../src/db/rpc/sql-transport.ts";
import { createSql } from "../../src/db/sql-client.ts";
import type { SweepBounds } from "../../src/inngest/functions/expire-recommendations.ts";
import { createGitHubApp } from "../../src/github/github-app.ts";
import { collectingLogger } from "../support/collecting-logger.ts";
import { APP_ID, generateAppKeyPair } from "../support/github-app-harness.ts";
import { createFakeGitHub } from "../support/github-msw.ts";
import { createInngestExecutor } from "../support/inngest-executor.ts";
import { useMsw } from "../support/msw.ts";
import { useTestDatabase } from "../support/pg.ts";

export const GITHUB_URL = "https://github.example.test/api/v3";
export const INNGEST_URL = "http://inngest.example.test";

/**
 * The whole sign-in-to-audit path in one process: the real application (HTTP,
 * actions, Inngest serve handler, functions), a real Postgres, msw playing GitHub
 * and the Inngest Event API, and the protocol executor playing Inngest.
 * Every credential involved is generated here, so tests can scan for all of them.
 */
export function useAuditStack() {
  const db = useTestDatabase();
  const server = useMsw();
  const { privateKey, publicKey } = generateAppKeyPair();
  const keys = {
    signingKey: `signkey-test-${randomBytes(32).toString("hex")}`,
    eventKey: randomBytes(24).toString("hex"),
    jwtSecret: randomBytes(32).toString("base64url"),
  };
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    // Last opened, first closed: the application settles before its pool closes.
    for (const close of closers.splice(0).reverse()) await close();
  });

  function arrange(
    options: {
      github?: boolean;
      wrapRpc?: (rpc: RpcClient) => RpcClient;
      /** Wraps the real token verifier (API keys are verified in front of it, by the application). */
      wrapVerifier?: (verifier: SessionVerifier) => SessionVerifier;
      /** More environment, e.g. GITHUB_WEBHOOK_SECRET; its values are scanned as secrets. */
      env?: Record<string, string>;
      /** The scheduled functions' clock. */
      now?: () => Date;
      /** Users per page of refresh-recommendations' fan-out. */
      refreshPageSize?: number;
      /** Rows per batch and batches per run of the expiry and idle-claim sweeps. */
      sweepBounds?: SweepBounds;
      /** false: no LISTEN feed for API-key revocations (as on supabase-js). */
      revocationFeed?: boolean;
    } = {},
  ) {
    const fake = createFakeGitHub({ baseUrl: GITHUB_URL, appId: APP_ID, publicKeyPem: publicKey });
    const { logger, lines: logLines } = collectingLogger({ level: "trace" });
    const rpc = createRpcClient(
      createSqlTransport(createSql(db.url, { max: 4, role: "service_role" })),
    );
    closers.push(() => rpc.close());
    const appRpc = options.wrapRpc ? options.wrapRpc(rpc) : rpc;
    const env = readEnv({
      NODE_ENV: "test",
      INNGEST_SIGNING_KEY: keys.signingKey,
      INNGEST_EVENT_KEY: keys.eventKey,
      SUPABASE_JWT_SECRET: keys.jwtSecret,
      ...options.env,
    });
    // A new App per arrangement is a new process's token cache.
    const github =
      options.github === false
        ? null
        : createGitHubApp({ appId: APP_ID, privateKey, baseUrl: GITHUB_URL, logger });
    const revocations =
      options.revocationFeed === false
        ? undefined
        : createPgRevocationFeed({ url: db.url, logger, retryMs: 50 });
    if (revocations) closers.push(() => revocations.close());
    const application = createApplication({
      env,
      rpc: appRpc,
      ...(revocations ? { revocations } : {}),
      logger,
      verifier: (options.wrapVerifier ?? ((v) => v))(
        createSessionVerifier({ jwtSecret: keys.jwtSecret }),
      ),
      github,
      inngestBaseUrl: INNGEST_URL,
      ...(options.now ? { now: options.now } : {}),
      ...(options.refreshPageSize !== undefined
        ? { refreshPageSize: options.refreshPageSize }
        : {}),
      ...(options.sweepBounds ? { sweepBounds: options.sweepBounds } : {}),
    });
    const executor = createInngestExecutor({
      handler: (req) => application.http.fetch(req),
      servePath: INNGEST_SERVE_PATH,
      appId: INNGEST_APP_ID,
      signingKey: keys.signingKey,
      functions: application.functions,
    });
    const handlers = [...fake.handlers, ...executor.eventApiHandlers(INNGEST_URL)];
    server.use(...handlers);

    closers.push(() => application.apiKeys.settled());
    const userTokens: string[] = [];
    const action = (name: string, token: string | null, body: unknown = {}) =>
      application.http.request(`/api/actions/${name}`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
      });
    return {
      fake,
      executor,
      handlers,
      application,
      logLines,
      async userToken(
        user: { id: string; login: string; githubId: number },
        metadataGithubId = user.githubId,
      ) {
        const token = await mintDevToken({
          secret: keys.jwtSecret,
          userId: user.id,
          githubLogin: user.login,
          githubId: String(metadataGithubId),
        });
        userTokens.push(token);
        return token;
      },
      /** A new API key of the token's user, through create-api-key. */
      async apiKey(token: string, body: object = { name: "ci" }) {
        const res = await action("create-api-key", token, body);
        const json = (await res.json()) as { data: { id: number; key: string } };
        if (res.status !== 200) throw new Error(`create-api-key answered ${res.status}`);
        userTokens.push(json.data.key);
        return json.data;
      },
      action,
      /** Every secret of this arrangement: what must never appear in storage, logs or the database. */
      secrets(): string[] {
        return [
          ...fake.state.issuedTokens.map((t) => t.token),
          ...fake.state.appJwts,
          ...privateKey.split("\n").filter((line) => line && !line.startsWith("-----")),
          ...userTokens,
          keys.signingKey.replace(/^signkey-test-/, ""),
          keys.eventKey,
          keys.jwtSecret,
          ...(env.GITHUB_WEBHOOK_SECRET ?? []),
        ];
      },
    };
  }

  /** Every row of every table the product writes, as text. */
  async function databaseText(): Promise<string> {
    const tables = await db.sql<{ t: string }[]>`
      select format('%I.%I', schemaname, tablename) as t from pg_tables where schemaname in ('public', 'auth', 'supabase_migrations')`;
    const parts: string[] = [];
    for (const { t } of tables) {
      const rows = await db.sql.unsafe(`select row_to_json(x)::text as j from ${t} x`);
      parts.push(...rows.map((r) => r.j as string));
    }
    return parts.join("\n");
  }

  return { db, server, arrange, databaseText };
}
