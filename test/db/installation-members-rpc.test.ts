import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRpcClient, type RpcClient } from "../../src/db/rpc/rpc-client.ts";
import { createSqlTransport } from "../../src/db/rpc/sql-transport.ts";
import { createSql } from "../../src/db/sql-client.ts";
import { createInstallation } from "../support/fixtures.ts";
import { useTestDatabase } from "../support/pg.ts";

const db = useTestDatabase();
let rpc: RpcClient;
beforeAll(() => {
  rpc = createRpcClient(createSqlTransport(createSql(db.url, { max: 2, role: "service_role" })));
});
afterAll(() => rpc.close());

const ACTOR = "system:github-installations";

/** A delivery the intake recorded `minutesAgo` minutes ago. */
async function delivery(minutesAgo: number) {
  const id = randomUUID();
  await db.sql`
    insert into public.webhook_deliveries
      (delivery_id, event, status, payload_sha256, forward_event, forward_data, received_at,
       processed_at, updated_by)
    values (${id}, 'organization', 'forwarded', ${"c".repeat(64)},
            'github/organization-member.added', ${db.sql.json({ deliveryId: id })},
            now() - make_interval(mins => ${minutesAgo}), now(), 'system:test')`;
  return id;
}

const apply = (installationId: number, userId: number, member: boolean, deliveryId: string) =>
  rpc.call("apply_installation_member", {
    p_installation_id: installationId,
    p_github_user_id: userId,
    p_member: member,
    p_delivery_id: deliveryId,
    p_actor: ACTOR,
  });

describe("apply_installation_member", () => {
  it("converges on the newest delivery whatever order they are applied in", async () => {
    const installationId = await createInstallation(db.sql, { accountId: 4_400_001 });
    const addedEarlier = await delivery(10);
    const removedLater = await delivery(5);
    expect(await apply(installationId, 77, false, removedLater)).toEqual([
      { status: "recorded", member: false },
    ]);
    // The older member_added arrives (or is rerun) after the removal: nothing changes.
    expect(await apply(installationId, 77, true, addedEarlier)).toEqual([
      { status: "stale", member: false },
    ]);
    // A redelivery of the removal (same delivery, same time) changes nothing either.
    expect(await apply(installationId, 77, false, removedLater)).toEqual([
      { status: "stale", member: false },
    ]);
    const readdedNow = await delivery(0);
    expect(await apply(installationId, 77, true, readdedNow)).toEqual([
      { status: "recorded", member: true },
    ]);
  });

  it("writes nothing for an unknown installation, an unrecorded delivery, or a user actor", async () => {
    const installationId = await createInstallation(db.sql, { accountId: 4_400_002 });
    const known = await delivery(1);
    expect(await apply(987_000_001, 78, true, known)).toEqual([
      { status: "unrelated", member: null },
    ]);
    expect(await apply(installationId, 78, true, randomUUID())).toEqual([
      { status: "unrelated", member: null },
    ]);
    await expect(
      db.sql`select * from public.apply_installation_member(${installationId}, 78, true, ${known}, ${`user:${randomUUID()}`})`,
    ).rejects.toMatchObject({ code: "22023" });
    expect(
      await db.sql`select 1 from public.github_installation_members where github_user_id = 78`,
    ).toEqual([]);
  });

  it("sync_installation_members replaces the list as of its delivery, and overrides nothing newer", async () => {
    const installationId = await createInstallation(db.sql, { accountId: 4_400_003 });
    const installed = await delivery(10);
    const removedLater = await delivery(5);
    // A webhook received after the installation: user 91 left.
    await apply(installationId, 91, false, removedLater);
    const sync = (ids: number[], deliveryId: string) =>
      rpc.call("sync_installation_members", {
        p_installation_id: installationId,
        p_member_ids: ids,
        p_delivery_id: deliveryId,
        p_actor: ACTOR,
      });
    // GitHub's list, read at run time, still had 91 (or the sync is a rerun): 91 stays out.
    expect(await sync([90, 91, 92], installed)).toEqual([{ status: "synced", members: 2 }]);
    // A later list without 92 (a rerun of a newer delivery) removes it.
    const newer = await delivery(1);
    expect(await sync([90], newer)).toEqual([{ status: "synced", members: 1 }]);
    const rows = await db.sql<{ github_user_id: number; member: boolean }[]>`
      select github_user_id, member from public.github_installation_members
       where installation_id = ${installationId} order by github_user_id`;
    expect(rows).toEqual([
      { github_user_id: 90, member: true },
      { github_user_id: 91, member: false },
      { github_user_id: 92, member: false },
    ]);
    // An unrecorded delivery orders before everything: it fills in, and overrides nothing.
    expect(await sync([93], randomUUID())).toEqual([{ status: "synced", members: 2 }]);
    expect(await sync([], randomUUID())).toEqual([{ status: "synced", members: 2 }]);
  });
});
