import { randomUUID } from "node:crypto";
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { DatabaseUnavailableError } from "../../src/db/rpc/errors.ts";
import type { RpcName } from "../../src/db/rpc/contract.ts";
import type { RpcClient } from "../../src/db/rpc/rpc-client.ts";
import { createInstallation, createUser } from "../support/fixtures.ts";
import type { StoredRun } from "../support/inngest-executor/types.ts";
import { GITHUB_URL, useAuditStack } from "./audit-stack.ts";

const stack = useAuditStack();
const { db } = stack;
const ACTOR = "system:github-installations";

/**
 * The first call of each named RPC commits, then its answer is lost (the connection drops):
 * the retry repeats a write the database already holds.
 */
function losingFirstAnswerOf(...names: RpcName[]) {
  const lost = new Set<string>();
  return (rpc: RpcClient): RpcClient => ({
    transport: rpc.transport,
    async call(name, args) {
      const rows = await rpc.call(name, args);
      if (names.includes(name) && !lost.has(name)) {
        lost.add(name);
        throw new DatabaseUnavailableError(name, "08006", "connection lost after commit");
      }
      return rows;
    },
    close: () => rpc.close(),
  });
}

const event = (name: string, installationId: number, data: Record<string, unknown> = {}) => {
  const deliveryId = randomUUID();
  return {
    name,
    id: `github-delivery:${deliveryId}`,
    data: { deliveryId, installationId, ...data },
  };
};

/** The run completed, after at least one retried attempt. */
function expectRetriedAndCompleted(run: StoredRun | undefined) {
  expect(run).toMatchObject({ status: "completed" });
  expect(run!.attempts.some((a) => a.attempt > 0)).toBe(true);
}

async function rows(installationId: number) {
  const [installation] = await db.sql`
    select status, updated_by, last_delivery_id from public.github_installations where id = ${installationId}`;
  const repositories = await db.sql`
    select repository_id, full_name, updated_by, last_delivery_id
      from public.github_installation_repositories where installation_id = ${installationId}
     order by repository_id`;
  return { installation, repositories };
}

describe("installation lifecycle functions under retry", () => {
  it("installation-created: each write retried after a lost answer ends with the same rows and one audit", async () => {
    const s = stack.arrange({
      wrapRpc: losingFirstAnswerOf("upsert_github_installation", "sync_installation_repositories"),
    });
    const user = await createUser(db.sql);
    const id = 84_000_001;
    s.fake.state.repositories.set(id, [
      { id: 801, full_name: `${user.login}/one`, private: false },
    ]);
    const created = event("github/installation.created", id, {
      accountId: user.githubId,
      accountLogin: user.login,
      accountType: "User",
      senderId: user.githubId,
    });
    const runs = await s.executor.send(created);
    expectRetriedAndCompleted(runs.find((r) => r.functionId.endsWith("-installation-created")));

    expect(await rows(id)).toEqual({
      installation: {
        status: "active",
        updated_by: ACTOR,
        last_delivery_id: created.data.deliveryId,
      },
      repositories: [
        {
          repository_id: 801,
          full_name: `${user.login}/one`,
          updated_by: ACTOR,
          last_delivery_id: created.data.deliveryId,
        },
      ],
    });
    const queued = s.executor.stored.events.filter((e) => e.event.name === "audit/run");
    expect(queued.map((e) => e.event.id)).toEqual([`audit-run:${user.id}:installation:${id}`]);
    const audits = await db.sql`select status from public.audits where user_id = ${user.id}`;
    expect(audits).toEqual([{ status: "completed" }]);
  });

  it("installation-status: a status write retried after a lost answer ends with the same row", async () => {
    const s = stack.arrange({ wrapRpc: losingFirstAnswerOf("set_github_installation_status") });
    const user = await createUser(db.sql);
    const id = await createInstallation(db.sql, { accountId: user.githubId });
    const suspended = event("github/installation.suspended", id);
    const [run] = await s.executor.send(suspended);
    expectRetriedAndCompleted(run);
    expect(run!.result).toEqual({
      status: "recorded",
      installationStatus: "suspended",
      members: null,
    });
    expect((await rows(id)).installation).toEqual({
      status: "suspended",
      updated_by: ACTOR,
      last_delivery_id: suspended.data.deliveryId,
    });
    expect(s.executor.stored.events.filter((e) => e.event.name === "audit/run")).toEqual([]);
  });

  it("installation-repositories: a GitHub 5xx and a lost answer are retried, ending with the listed rows", async () => {
    const s = stack.arrange({ wrapRpc: losingFirstAnswerOf("sync_installation_repositories") });
    const user = await createUser(db.sql);
    const id = await createInstallation(db.sql, { accountId: user.githubId });
    s.fake.state.repositories.set(id, [{ id: 901, full_name: "o/listed", private: false }]);
    stack.server.use(
      http.post(
        `${GITHUB_URL}/app/installations/${id}/access_tokens`,
        () => HttpResponse.json({ message: "Server Error" }, { status: 502 }),
        { once: true },
      ),
    );
    const changed = event("github/installation-repositories.changed", id);
    const [run] = await s.executor.send(changed);
    expectRetriedAndCompleted(run);
    expect(run!.attempts.filter((a) => a.attempt > 0).length).toBeGreaterThanOrEqual(2);
    expect(run!.result).toEqual({ status: "synced", repositories: 1 });
    expect(await rows(id)).toEqual({
      installation: {
        status: "active",
        updated_by: ACTOR,
        last_delivery_id: changed.data.deliveryId,
      },
      repositories: [
        {
          repository_id: 901,
          full_name: "o/listed",
          updated_by: ACTOR,
          last_delivery_id: changed.data.deliveryId,
        },
      ],
    });
    expect(s.executor.stored.events.filter((e) => e.event.name === "audit/run")).toEqual([]);
  });
});
