import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidArgumentsError } from "../../src/db/rpc/errors.ts";
import { createRpcClient, type RpcClient } from "../../src/db/rpc/rpc-client.ts";
import { createSqlTransport } from "../../src/db/rpc/sql-transport.ts";
import { createSql } from "../../src/db/sql-client.ts";
import { asRole, sqlState } from "../support/as-role.ts";
import { useTestDatabase } from "../support/pg.ts";

const db = useTestDatabase();
let rpc: RpcClient;
beforeAll(() => {
  rpc = createRpcClient(createSqlTransport(createSql(db.url, { max: 4, role: "service_role" })));
});
afterAll(() => rpc.close());

const ACTOR = "system:github-webhooks";
const FORWARDER = "system:forward-webhook-deliveries";

async function record(deliveryId: string = randomUUID(), forward = true) {
  const [row] = await rpc.call("record_webhook_delivery", {
    p_delivery_id: deliveryId,
    p_event: "installation",
    p_action: "deleted",
    p_installation_id: 42,
    p_payload_sha256: "a".repeat(64),
    p_forward_event: forward ? "github/installation.deleted" : null,
    p_forward_data: forward ? { deliveryId, installationId: 42 } : null,
    p_actor: ACTOR,
  });
  return { deliveryId, row: row! };
}

async function rowOf(deliveryId: string) {
  const [row] =
    await db.sql`select * from public.webhook_deliveries where delivery_id = ${deliveryId}`;
  return row!;
}

async function age(deliveryIds: string[], interval = "1 minute") {
  await db.sql`update public.webhook_deliveries set received_at = now() - ${interval}::interval
    where delivery_id in ${db.sql(deliveryIds)}`;
}

const claim = (limit = 100) =>
  rpc.call("claim_webhook_forwards", {
    p_limit: limit,
    p_min_age_seconds: 10,
    p_lease_seconds: 300,
    p_actor: FORWARDER,
  });

describe("webhook intake RPCs", () => {
  it("records a delivery once: a repeated delivery id answers duplicate and changes nothing", async () => {
    const { deliveryId, row } = await record();
    expect(row).toEqual({ delivery_id: deliveryId, status: "received", duplicate: false });
    const before = await rowOf(deliveryId);
    const again = await rpc.call("record_webhook_delivery", {
      p_delivery_id: deliveryId,
      p_event: "installation",
      p_action: "suspend",
      p_installation_id: 43,
      p_payload_sha256: "b".repeat(64),
      p_forward_event: "github/installation.suspended",
      p_forward_data: { deliveryId, installationId: 43 },
      p_actor: ACTOR,
    });
    expect(again).toEqual([{ delivery_id: deliveryId, status: "received", duplicate: true }]);
    expect(await rowOf(deliveryId)).toEqual(before);
  });

  it("records an unhandled event as ignored, processed, with nothing to forward", async () => {
    const { deliveryId, row } = await record(randomUUID(), false);
    expect(row.status).toBe("ignored");
    expect(await rowOf(deliveryId)).toMatchObject({
      status: "ignored",
      forward_event: null,
      forward_data: null,
      updated_by: ACTOR,
      processed_at: expect.any(Date),
    });
    await age([deliveryId]);
    expect((await claim()).map((r) => r.delivery_id)).not.toContain(deliveryId);
  });

  it("claims only pending deliveries past the minimum age, leases them, and counts attempts", async () => {
    const { deliveryId: old } = await record();
    const { deliveryId: young } = await record();
    await age([old]);
    const first = await claim();
    expect(first).toEqual([
      {
        delivery_id: old,
        forward_event: "github/installation.deleted",
        forward_data: { deliveryId: old, installationId: 42 },
        attempts: 2,
      },
    ]);
    expect(first.map((r) => r.delivery_id)).not.toContain(young);
    // Leased: a second forwarder finds nothing until the lease ends.
    expect(await claim()).toEqual([]);
    await db.sql`update public.webhook_deliveries set lease_until = now() - interval '1 second' where delivery_id = ${old}`;
    expect(await claim()).toMatchObject([{ delivery_id: old, attempts: 3 }]);
    expect(await rowOf(old)).toMatchObject({ status: "received", updated_by: FORWARDER });
  });

  it("gives two concurrent claims disjoint rows (skip locked)", async () => {
    const ids = await Promise.all(
      Array.from({ length: 20 }, () => record().then((r) => r.deliveryId)),
    );
    await age(ids, "2 minutes");
    const [a, b] = await Promise.all([claim(12), claim(12)]);
    const claimed = [...a, ...b].map((r) => r.delivery_id).filter((id) => ids.includes(id));
    expect(new Set(claimed).size).toBe(claimed.length);
    expect(claimed.length).toBe(20);
  });

  it("marks forwarded idempotently, and never turns an ignored or failed delivery into a forwarded one", async () => {
    const { deliveryId } = await record();
    const { deliveryId: ignored } = await record(randomUUID(), false);
    const [first] = await rpc.call("mark_webhook_deliveries_forwarded", {
      p_delivery_ids: [deliveryId, ignored],
      p_actor: FORWARDER,
    });
    const again = await rpc.call("mark_webhook_deliveries_forwarded", {
      p_delivery_ids: [deliveryId, ignored],
      p_actor: ACTOR,
    });
    expect(again).toEqual([first]);
    expect(await rowOf(deliveryId)).toMatchObject({
      status: "forwarded",
      updated_by: FORWARDER,
      lease_until: null,
    });
    expect(await rowOf(ignored)).toMatchObject({ status: "ignored" });
    const failed = await rpc.call("mark_webhook_delivery_failed", {
      p_delivery_id: deliveryId,
      p_error: "event_schema_mismatch",
      p_actor: FORWARDER,
    });
    expect(failed).toEqual([{ delivery_id: deliveryId, status: "forwarded" }]);
  });

  it("record_webhook_group marks earlier deliveries forwarded and records a group in one transaction", async () => {
    const { deliveryId: earlier } = await record();
    const delivery = (id: string) => ({
      delivery_id: id,
      event: "installation",
      action: "deleted",
      installation_id: 42,
      payload_sha256: "b".repeat(64),
      forward_event: "github/installation.deleted",
      forward_data: { deliveryId: id, installationId: 42 },
    });
    const fresh = randomUUID();
    const rows = await rpc.call("record_webhook_group", {
      p_deliveries: [delivery(fresh), delivery(earlier)],
      p_forwarded: [earlier],
      p_actor: ACTOR,
    });
    expect(rows).toEqual([
      { delivery_id: fresh, status: "received", duplicate: false },
      // Marked in the same transaction, before the group is recorded.
      { delivery_id: earlier, status: "forwarded", duplicate: true },
    ]);
    expect(await rowOf(earlier)).toMatchObject({ status: "forwarded", updated_by: ACTOR });

    // A group the database refuses takes its marks down with it: nothing is half done.
    const { deliveryId: pending } = await record();
    await expect(
      rpc.call("record_webhook_group", {
        p_deliveries: [{ ...delivery(randomUUID()), forward_data: null }],
        p_forwarded: [pending],
        p_actor: ACTOR,
      }),
    ).rejects.toBeInstanceOf(InvalidArgumentsError);
    expect(await rowOf(pending)).toMatchObject({ status: "received" });
    // No marks: a plain group.
    expect(
      await rpc.call("record_webhook_group", {
        p_deliveries: [delivery(pending)],
        p_forwarded: [],
        p_actor: ACTOR,
      }),
    ).toEqual([{ delivery_id: pending, status: "received", duplicate: true }]);
  });

  it("keeps using the primary key as the table grows, in a session that first ran the intake on an empty table", async () => {
    // plpgsql caches a generic plan after five calls; planned while the table was small it
    // scanned the whole table on every later group (bench:webhooks slowed down round after
    // round). Custom plans (plan_cache_mode on the functions) look at the table as it is.
    await db.sql`truncate public.webhook_deliveries`;
    const session = createSql(db.url, { max: 1, role: "service_role" });
    const group = (ids: string[], forwarded: string[]) =>
      session`select * from public.record_webhook_group(${session.json(
        ids.map((id) => ({
          delivery_id: id,
          event: "installation",
          action: "deleted",
          installation_id: 42,
          payload_sha256: "d".repeat(64),
          forward_event: "github/installation.deleted",
          forward_data: { deliveryId: id, installationId: 42 },
        })),
      )}, ${forwarded}, ${ACTOR})`;
    const seqScans = async () =>
      (
        await db.sql<{ n: number }[]>`
          select coalesce(seq_scan, 0)::int as n from pg_stat_user_tables
           where relid = 'public.webhook_deliveries'::regclass`
      )[0]!.n;
    try {
      let previous: string[] = [];
      for (let i = 0; i < 10; i++) {
        const ids = Array.from({ length: 5 }, () => randomUUID());
        await group(ids, previous);
        previous = ids;
      }
      // Grow the table behind the session's back, as other instances would.
      await db.sql`
        insert into public.webhook_deliveries (delivery_id, event, status, payload_sha256, processed_at, updated_by)
        select gen_random_uuid()::text, 'installation', 'ignored', ${"e".repeat(64)}, now(), ${ACTOR}
          from generate_series(1, 20000)`;
      await db.sql`select pg_stat_force_next_flush()`;
      const before = await seqScans();
      for (let i = 0; i < 5; i++) {
        const ids = Array.from({ length: 5 }, () => randomUUID());
        await group(ids, previous);
        previous = ids;
      }
      await session`select pg_stat_force_next_flush()`;
      expect(await seqScans()).toBe(before);
    } finally {
      await session.end();
    }
  });

  it("refuses writes without a named system actor or with a malformed delivery id", async () => {
    const deliveryId = randomUUID();
    const codes = {
      "user actor": await sqlState(
        db.sql`select * from public.record_webhook_delivery(${deliveryId}, 'installation', null, null,
          ${"a".repeat(64)}, null, null, ${`user:${randomUUID()}`})`,
      ),
      "bad delivery id": await sqlState(
        db.sql`select * from public.record_webhook_delivery('../x', 'installation', null, null,
          ${"a".repeat(64)}, null, null, ${ACTOR})`,
      ),
      "half an outbox entry": await sqlState(
        db.sql`select * from public.record_webhook_delivery(${deliveryId}, 'installation', null, null,
          ${"a".repeat(64)}, 'github/installation.deleted', null, ${ACTOR})`,
      ),
      "mark without actor": await sqlState(
        db.sql`select * from public.mark_webhook_deliveries_forwarded(array[${deliveryId}], null)`,
      ),
    };
    expect(codes).toEqual({
      "user actor": "22023",
      "bad delivery id": "22023",
      "half an outbox entry": "22023",
      "mark without actor": "22023",
    });
    await expect(
      rpc.call("claim_webhook_forwards", {
        p_limit: 0,
        p_min_age_seconds: 0,
        p_lease_seconds: 1,
        p_actor: FORWARDER,
      }),
    ).rejects.toBeInstanceOf(InvalidArgumentsError);
    expect(
      await db.sql`select 1 from public.webhook_deliveries where delivery_id = ${deliveryId}`,
    ).toEqual([]);
  });

  it("refuses every intake RPC to anon and authenticated", async () => {
    const codes: Record<string, string> = {};
    for (const role of ["anon", "authenticated"] as const) {
      codes[role] = await asRole(db.sql, role, { role }, (tx) =>
        sqlState(tx`select * from public.claim_webhook_forwards(1, 0, 1, 'system:x-attacker')`),
      );
      codes[`${role} group`] = await asRole(db.sql, role, { role }, (tx) =>
        sqlState(
          tx`select * from public.record_webhook_group('[]'::jsonb, '{}'::text[], 'system:x-attacker')`,
        ),
      );
    }
    expect(codes).toEqual({
      anon: "42501",
      authenticated: "42501",
      "anon group": "42501",
      "authenticated group": "42501",
    });
  });
});
