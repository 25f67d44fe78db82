import { describe, expect, it } from "vitest";
import { encodeCursor } from "../../src/actions/recommendation-cursor.ts";
import { createRecommendations, createUser } from "../support/fixtures.ts";
import { useAuditStack } from "./audit-stack.ts";

const stack = useAuditStack();
const { db } = stack;

interface Page {
  data: {
    items: { id: number; status: string; issue: Record<string, unknown> }[];
    nextCursor: string | null;
  };
}

type Arranged = ReturnType<typeof stack.arrange>;

async function listAll(s: Arranged, token: string, limit: number) {
  const ids: number[] = [];
  const cursors: (string | null)[] = [];
  let cursor: string | null = null;
  do {
    const res = await s.action("list-recommendations", token, {
      limit,
      ...(cursor === null ? {} : { cursor }),
    });
    expect(res.status).toBe(200);
    const page = (await res.json()) as Page;
    expect(page.data.items.length).toBeLessThanOrEqual(limit);
    ids.push(...page.data.items.map((i) => i.id));
    cursor = page.data.nextCursor;
    cursors.push(cursor);
  } while (cursor !== null && cursors.length < 50);
  return { ids, pages: cursors.length };
}

describe("list-recommendations", () => {
  it("ignores a client-sent userId of another user and lists the caller's own rows", async () => {
    const s = stack.arrange({ github: false });
    const me = await createUser(db.sql);
    const other = await createUser(db.sql);
    const mine = await createRecommendations(db.sql, me.id, 2);
    await createRecommendations(db.sql, other.id, 2);
    const res = await s.action("list-recommendations", await s.userToken(me), {
      userId: other.id,
      user_id: other.id,
    });
    expect(res.status).toBe(200);
    const page = (await res.json()) as Page;
    expect(page.data.items.map((i) => i.id).sort((a, b) => a - b)).toEqual(mine);
  });

  it("lists the caller's live rows only, with their issue, and never another user's", async () => {
    const s = stack.arrange({ github: false });
    const me = await createUser(db.sql);
    const other = await createUser(db.sql);
    const [claimed, open] = await createRecommendations(db.sql, me.id, 2);
    const theirs = await createRecommendations(db.sql, other.id, 3);
    await db.sql`update public.candidate_issues c set language = 'TypeScript', labels = '{good first issue,docs}'
      from public.recommendations r where r.candidate_issue_id = c.id and r.id = ${open!}`;
    const token = await s.userToken(me);
    expect(
      (await s.action("claim-recommendation", token, { recommendationId: claimed })).status,
    ).toBe(200);

    const res = await s.action("list-recommendations", token, {});
    expect(res.status).toBe(200);
    const [issue] = await db.sql`
      select c.repo_full_name, c.number, c.title, c.html_url from public.candidate_issues c
      join public.recommendations r on r.candidate_issue_id = c.id where r.id = ${open!}`;
    const [times] = await db.sql<{ expires: Date; claim_expires: Date }[]>`
      select (select expires_at from public.recommendations where id = ${open!}) as expires,
             (select claim_expires_at from public.recommendations where id = ${claimed!}) as claim_expires`;
    expect(await res.json()).toEqual({
      data: {
        items: [
          expect.objectContaining({
            id: claimed,
            status: "claimed",
            claimExpiresAt: times!.claim_expires.toISOString(),
          }),
          {
            id: open,
            status: "open",
            issue: {
              repo: issue!.repo_full_name,
              number: issue!.number,
              title: issue!.title,
              url: issue!.html_url,
              language: "TypeScript",
              labels: ["good first issue", "docs"],
            },
            expiresAt: times!.expires.toISOString(),
            claimExpiresAt: null,
          },
        ],
        nextCursor: null,
      },
    });

    const theirList = (await (
      await s.action("list-recommendations", await s.userToken(other), {})
    ).json()) as Page;
    expect(theirList.data.items.map((i) => i.id)).toEqual(theirs);
  });

  it("pages through every row once, in a stable order, with a small limit", async () => {
    const s = stack.arrange({ github: false });
    const me = await createUser(db.sql);
    const mine = await createRecommendations(db.sql, me.id, 7);
    // Interleave another user's rows between mine: they must never show up or shift a page.
    const other = await createUser(db.sql);
    await createRecommendations(db.sql, other.id, 4);
    mine.push(...(await createRecommendations(db.sql, me.id, 4)));
    const token = await s.userToken(me);

    const { ids, pages } = await listAll(s, token, 3);
    expect(ids).toEqual([...mine].sort((a, b) => a - b));
    expect(pages).toBe(4);
    // The same limit at the exact end: no empty trailing page is promised.
    expect((await listAll(s, token, 11)).pages).toBe(1);
    expect((await listAll(s, token, 100)).ids).toEqual(ids);

    // Claiming between pages neither repeats nor skips a row.
    const first = (await (
      await s.action("list-recommendations", token, { limit: 5 })
    ).json()) as Page;
    await s.action("claim-recommendation", token, { recommendationId: ids[8] });
    await s.action("claim-recommendation", token, { recommendationId: ids[1] });
    const rest = (await (
      await s.action("list-recommendations", token, { limit: 100, cursor: first.data.nextCursor })
    ).json()) as Page;
    expect([...first.data.items, ...rest.data.items].map((i) => i.id)).toEqual(ids);
  });

  it("excludes expired, completed and lapsed-claim rows", async () => {
    const s = stack.arrange({ github: false });
    const me = await createUser(db.sql);
    const [live, completed, lapsedClaim, statusExpired] = await createRecommendations(
      db.sql,
      me.id,
      4,
    );
    const [pastExpiry] = await createRecommendations(db.sql, me.id, 1, {
      expiresAt: new Date(Date.now() - 60_000),
    });
    await db.sql`update public.recommendations set status = 'completed', completed_at = now() where id = ${completed!}`;
    await db.sql`update public.recommendations set status = 'claimed', claimed_at = now() - interval '15 days',
      claim_expires_at = now() - interval '1 day' where id = ${lapsedClaim!}`;
    await db.sql`update public.recommendations set status = 'expired' where id = ${statusExpired!}`;
    expect(pastExpiry).toBeGreaterThan(0);

    const res = await s.action("list-recommendations", await s.userToken(me), {});
    expect(((await res.json()) as Page).data.items.map((i) => i.id)).toEqual([live]);
  });

  it("refuses a forged or malformed cursor and a bad limit with 400 invalid_input", async () => {
    const s = stack.arrange({ github: false });
    const me = await createUser(db.sql);
    await createRecommendations(db.sql, me.id, 2);
    const token = await s.userToken(me);
    const b64 = (text: string) => Buffer.from(text).toString("base64url");
    const bodies = [
      { cursor: "not a cursor!" },
      { cursor: "" },
      { cursor: b64("rec:abc") },
      { cursor: b64("rec:-5") },
      { cursor: b64("rec:0") },
      { cursor: b64("rec:99999999999999999") },
      { cursor: b64('{"id":1}') },
      { cursor: `${encodeCursor(1)}=` },
      { cursor: 12 },
      { limit: 0 },
      { limit: 101 },
      { limit: 2.5 },
    ];
    for (const body of bodies) {
      const res = await s.action("list-recommendations", token, body);
      expect({ body, status: res.status, answer: await res.json() }).toMatchObject({
        body,
        status: 400,
        answer: { error: "invalid_input" },
      });
    }
    // The control: a cursor the action produced is accepted.
    const ok = await s.action("list-recommendations", token, { cursor: encodeCursor(1), limit: 1 });
    expect(ok.status).toBe(200);
  });
});

describe("get-profile", () => {
  it("returns the caller's level, xp and latest audit, never another user's", async () => {
    const s = stack.arrange({ github: false });
    const me = await createUser(db.sql, { login: "octo-reader" });
    const other = await createUser(db.sql);
    await db.sql`update public.profiles set level = 2, xp = 640, languages = '{TypeScript,Go}' where id = ${me.id}`;
    const audit = async (
      userId: string,
      key: string,
      status: string,
      reason: string | null,
      at: string,
    ) => {
      await db.sql`
        insert into public.audits (user_id, idempotency_key, status, reason, signals, xp, level, created_at, created_by, updated_at, updated_by)
        values (${userId}, ${key}, ${status}, ${reason}, ${status === "completed" ? db.sql.json({}) : null},
                ${status === "completed" ? 640 : null}, ${status === "completed" ? 2 : null},
                ${at}, 'system:audit-run', ${at}, 'system:audit-run')`;
    };
    await audit(me.id, `a-${me.id}-1`, "skipped", "no_auth_source", "2026-11-20T10:00:00Z");
    await audit(me.id, `a-${me.id}-2`, "completed", null, "2026-11-21T10:00:00Z");
    await audit(other.id, `a-${other.id}-1`, "failed", "retries_exhausted", "2026-11-22T10:00:00Z");

    const res = await s.action("get-profile", await s.userToken(me));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      data: {
        githubLogin: "octo-reader",
        level: 2,
        xp: 640,
        languages: ["TypeScript", "Go"],
        audit: { status: "completed", reason: null, at: "2026-11-21T10:00:00.000Z" },
      },
    });

    const theirs = await s.action("get-profile", await s.userToken(other));
    expect(await theirs.json()).toMatchObject({
      data: {
        githubLogin: other.login,
        level: 0,
        xp: 0,
        languages: [],
        audit: { status: "failed", reason: "retries_exhausted", at: "2026-11-22T10:00:00.000Z" },
      },
    });
  });

  it("answers audit null before any audit, and 409 profile_missing before sign-in", async () => {
    const s = stack.arrange({ github: false });
    const fresh = await createUser(db.sql);
    const res = await s.action("get-profile", await s.userToken(fresh));
    expect(await res.json()).toEqual({
      data: { githubLogin: fresh.login, level: 0, xp: 0, languages: [], audit: null },
    });

    const noProfile = await createUser(db.sql);
    await db.sql`delete from public.profiles where id = ${noProfile.id}`;
    const missing = await s.action("get-profile", await s.userToken(noProfile));
    expect(missing.status).toBe(409);
    expect(await missing.json()).toMatchObject({ error: "profile_missing" });
  });

  it("ignores a client-sent userId (the caller's own profile comes back) and answers 401 without a token", async () => {
    const s = stack.arrange({ github: false });
    const me = await createUser(db.sql);
    const other = await createUser(db.sql);
    const token = await s.userToken(me);
    const own = await (await s.action("get-profile", token)).json();
    const res = await s.action("get-profile", token, { userId: other.id, user_id: other.id });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(own);
    expect(JSON.stringify(own)).not.toContain(other.id);
    expect((await s.action("get-profile", null)).status).toBe(401);
  });
});
