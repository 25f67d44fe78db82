import { describe, expect, it } from "vitest";
import { asRole, sqlState } from "../support/as-role.ts";
import { createUser } from "../support/fixtures.ts";
import { useTestDatabase } from "../support/pg.ts";

const db = useTestDatabase();

type Call = { user: string; properties?: object; source?: string; actor?: string };
const record = (tx: Parameters<Parameters<typeof asRole>[3]>[0], c: Call) =>
  tx`select * from public.record_tracked_event(
       ${c.user}::uuid, 'profile.viewed', ${tx.json((c.properties ?? {}) as never)},
       ${c.source ?? "human"}, ${c.actor ?? `user:${c.user}`})`;

describe("public.record_tracked_event", () => {
  it("writes the row with verified = true, the actor and its source", async () => {
    const user = await createUser(db.sql);
    const rows = await asRole(db.sql, "service_role", {}, async (tx) => {
      await record(tx, {
        user: user.id,
        properties: { repository: "octo/demo" },
        source: "api_key",
      });
      return tx`select name, properties, actor, actor_source, verified from public.tracked_events where user_id = ${user.id}`;
    });
    expect(rows).toEqual([
      {
        name: "profile.viewed",
        properties: { repository: "octo/demo" },
        actor: `user:${user.id}`,
        actor_source: "api_key",
        verified: true,
      },
    ]);
  });

  it("refuses properties naming the actor, user, verified flag or role (22023), whatever the case", async () => {
    const user = await createUser(db.sql);
    const outcomes: Record<string, string> = {};
    for (const key of [
      "actor",
      "actor_id",
      "actorSource",
      "User_Id",
      "userid",
      "VERIFIED",
      "role",
      "user",
    ]) {
      outcomes[key] = await asRole(db.sql, "service_role", {}, (tx) =>
        sqlState(record(tx, { user: user.id, properties: { [key]: true } })),
      );
    }
    expect(new Set(Object.values(outcomes))).toEqual(new Set(["22023"]));
  });

  it("refuses an actor that is not the user's own, an unknown actor source, and a user without a profile", async () => {
    const user = await createUser(db.sql);
    const other = await createUser(db.sql);
    const ghost = await createUser(db.sql);
    await db.sql`delete from public.profiles where id = ${ghost.id}`;
    const outcome = (c: Call) =>
      asRole(db.sql, "service_role", {}, (tx) => sqlState(record(tx, c)));
    expect({
      otherActor: await outcome({ user: user.id, actor: `user:${other.id}` }),
      systemActor: await outcome({ user: user.id, actor: "system:test" }),
      source: await outcome({ user: user.id, source: "robot" }),
      // The name before API keys existed: the only automation actor source is `api_key` now.
      oldMachineSource: await outcome({ user: user.id, source: "machine" }),
      noProfile: await outcome({ user: ghost.id }),
    }).toEqual({
      otherActor: "22023",
      systemActor: "22023",
      source: "22023",
      oldMachineSource: "22023",
      noProfile: "CF006",
    });
  });

  it("is the only writer: service_role may not insert or update tracked_events directly (42501)", async () => {
    const user = await createUser(db.sql);
    const insert = await asRole(db.sql, "service_role", {}, (tx) =>
      sqlState(tx`
        insert into public.tracked_events (user_id, name, actor, actor_source, verified)
        values (${user.id}, 'profile.viewed', ${`user:${user.id}`}, 'human', true)`),
    );
    const update = await asRole(db.sql, "service_role", {}, async (tx) => {
      await record(tx, { user: user.id });
      return sqlState(
        tx`update public.tracked_events set verified = false, actor_source = 'human'`,
      );
    });
    expect({ insert, update }).toEqual({ insert: "42501", update: "42501" });
  });

  it("is not executable by anon or authenticated (42501)", async () => {
    const user = await createUser(db.sql);
    for (const role of ["anon", "authenticated"] as const) {
      const state = await asRole(db.sql, role, { sub: user.id, role }, (tx) =>
        sqlState(record(tx, { user: user.id })),
      );
      expect(state, role).toBe("42501");
    }
  });
});
