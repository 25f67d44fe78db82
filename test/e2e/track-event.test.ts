import { beforeEach, describe, expect, it } from "vitest";
import { TRACKED_EVENT_KINDS } from "../../src/tracking/tracked-event-kinds.ts";
import { createUser } from "../support/fixtures.ts";
import { useAuditStack } from "./audit-stack.ts";

const stack = useAuditStack();
const { db } = stack;

const rowsOf = (userId: string) =>
  db.sql`select name, properties, actor, actor_source, verified from public.tracked_events
         where user_id = ${userId} order by id`;
const allRows = async () =>
  (await db.sql<{ n: number }[]>`select count(*)::int as n from public.tracked_events`)[0]!.n;

// One database per file: start each test from an empty table, so "nothing written" is absolute.
beforeEach(async () => {
  await db.sql`delete from public.tracked_events`;
});

const FORGED_KEYS = [
  "actor",
  "actorId",
  "userId",
  "user_id",
  "verified",
  "role",
  "actorSource",
  "actor_source",
];

describe("track-event over HTTP with real tokens", () => {
  it("records every kind with the server-set actor, actor source and verified = true", async () => {
    expect(TRACKED_EVENT_KINDS).toEqual([
      "recommendation.viewed",
      "recommendation.apply_clicked",
      "profile.viewed",
      "repository.viewed",
    ]);
    const s = stack.arrange({ github: false });
    const user = await createUser(db.sql);
    const token = await s.userToken(user);
    for (const kind of TRACKED_EVENT_KINDS) {
      const res = await s.action("track-event", token, {
        kind,
        properties: { recommendationId: 7, repository: "octo/demo", fromEmail: false },
      });
      expect(res.status, kind).toBe(200);
      expect(await res.json()).toEqual({
        data: { id: expect.any(Number), kind, occurredAt: expect.any(String) },
      });
    }
    expect(await rowsOf(user.id)).toEqual(
      TRACKED_EVENT_KINDS.map((kind) => ({
        name: kind,
        properties: { recommendationId: 7, repository: "octo/demo", fromEmail: false },
        actor: `user:${user.id}`,
        actor_source: "human",
        verified: true,
      })),
    );
  });

  it("accepts a kind without properties, stored as {}", async () => {
    const s = stack.arrange({ github: false });
    const user = await createUser(db.sql);
    const res = await s.action("track-event", await s.userToken(user), { kind: "profile.viewed" });
    expect(res.status).toBe(200);
    expect(await rowsOf(user.id)).toMatchObject([{ name: "profile.viewed", properties: {} }]);
  });

  it("answers 401 for every kind without a session or with a forged token, and writes nothing", async () => {
    const s = stack.arrange({ github: false });
    const user = await createUser(db.sql);
    const forged = (await s.userToken(user)).slice(0, -4) + "AAAA";
    for (const kind of TRACKED_EVENT_KINDS) {
      for (const token of [null, forged]) {
        const res = await s.action("track-event", token, { kind });
        expect(res.status, `${kind} with ${token ? "a forged token" : "no token"}`).toBe(401);
        expect(await res.json()).toMatchObject({ error: "unauthorized" });
      }
    }
    expect(await allRows()).toBe(0);
  });

  it("drops a client-sent actor, user id, verified flag or role (top level and in properties) and stores the server-set ones", async () => {
    const s = stack.arrange({ github: false });
    const user = await createUser(db.sql);
    const victim = await createUser(db.sql);
    const token = await s.userToken(user);
    const forgedValue = (key: string) =>
      key.toLowerCase() === "verified" ? false : key.startsWith("actor") ? "machine" : victim.id;
    const forged = (keys: string[]) => Object.fromEntries(keys.map((k) => [k, forgedValue(k)]));
    const res = await s.action("track-event", token, {
      kind: "recommendation.viewed",
      ...forged([...FORGED_KEYS, "roles"]),
      properties: {
        recommendationId: 3,
        ...forged([...FORGED_KEYS, "VERIFIED", "Actor_Source", "USERID"]),
      },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ data: { kind: "recommendation.viewed" } });
    const rows = await db.sql`select * from public.tracked_events`;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      user_id: user.id,
      name: "recommendation.viewed",
      properties: { recommendationId: 3 },
      actor: `user:${user.id}`,
      actor_source: "human",
      verified: true,
    });
    const stored = JSON.stringify(rows[0]);
    expect(stored).not.toContain(victim.id);
    expect(stored).not.toContain("machine");
  });

  it("answers 400 for an unknown kind, a missing kind and unbounded properties, and writes nothing", async () => {
    const s = stack.arrange({ github: false });
    const user = await createUser(db.sql);
    const token = await s.userToken(user);
    const many = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, i]));
    const cases: Array<[string, unknown]> = [
      ["unknown kind", { kind: "admin.promoted" }],
      ["kind in another case", { kind: "Profile.Viewed" }],
      ["no kind", { properties: {} }],
      ["21 properties", { kind: "profile.viewed", properties: many }],
      ["a nested object", { kind: "profile.viewed", properties: { a: { b: 1 } } }],
      ["an array", { kind: "profile.viewed", properties: [1] }],
      ["a long string", { kind: "profile.viewed", properties: { a: "x".repeat(301) } }],
      ["a credential", { kind: "profile.viewed", properties: { note: `ghp_${"a".repeat(36)}` } }],
    ];
    for (const [what, body] of cases) {
      const res = await s.action("track-event", token, body);
      expect(res.status, what).toBe(400);
      expect(await res.json(), what).toMatchObject({ error: "invalid_input" });
    }
    expect(await allRows()).toBe(0);
  });

  it("answers 409 profile_missing for a verified user without a profile, and writes nothing", async () => {
    const s = stack.arrange({ github: false });
    const user = await createUser(db.sql);
    await db.sql`delete from public.profiles where id = ${user.id}`;
    const res = await s.action("track-event", await s.userToken(user), { kind: "profile.viewed" });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ error: "profile_missing" });
    expect(await allRows()).toBe(0);
  });
});
