import { randomUUID } from "node:crypto";
import type { Sql } from "postgres";
import type { AuditSignals } from "../../src/audit/audit-signals.ts";

type Db = Sql<{ bigint: number }>;

let issueSeq = 1_000_000;

/** What an audit's GitHub step derives for a modest contributor (no credential in it). */
export const AUDIT_SIGNALS: AuditSignals = {
  accountAgeDays: 400,
  mergedPrs: 10,
  mergedPrsExternal: 4,
  closedIssues: 2,
  distinctLanguages: 3,
  yearlyContributions: 150,
  followers: 8,
};

/** A Supabase user with a GitHub identity and a profile, arranged as the superuser. */
export async function createUser(sql: Db, opts: { githubId?: number; login?: string } = {}) {
  const id = randomUUID();
  const githubId = opts.githubId ?? 10_000 + Math.floor(Math.random() * 1e9);
  const login = opts.login ?? `user-${id.slice(0, 8)}`;
  await sql`insert into auth.users (id, email) values (${id}, ${`${login}@example.test`})`;
  await sql`
    insert into auth.identities (provider_id, user_id, provider, identity_data)
    values (${String(githubId)}, ${id}, 'github', ${sql.json({ sub: String(githubId), user_name: login })})`;
  await sql`
    insert into public.profiles (id, github_id, github_login, updated_by)
    values (${id}, ${githubId}, ${login}, ${`user:${id}`})`;
  return { id, githubId, login };
}

/** `count` open recommendations for the user, each on its own candidate issue. */
export async function createRecommendations(
  sql: Db,
  userId: string,
  count: number,
  overrides: { expiresAt?: Date } = {},
) {
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    const ghId = issueSeq++;
    const [issue] = await sql<{ id: number }[]>`
      insert into public.candidate_issues (github_issue_id, repo_full_name, number, title, html_url, updated_by)
      values (${ghId}, 'octo/demo', ${(ghId % 100_000) + 1}, 'Fix a thing', ${`https://github.com/octo/demo/issues/${ghId}`}, 'system:test')
      returning id`;
    const [rec] = await sql<{ id: number }[]>`
      insert into public.recommendations (user_id, candidate_issue_id, expires_at, created_by, updated_by)
      values (${userId}, ${issue!.id}, ${overrides.expiresAt ?? new Date(Date.now() + 7 * 86_400_000)}, 'system:test', 'system:test')
      returning id`;
    ids.push(rec!.id);
  }
  return ids;
}

export async function activeClaims(sql: Db, userId: string): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from public.recommendations
    where user_id = ${userId} and status = 'claimed' and claim_expires_at > now()`;
  return row!.n;
}

/** An installation row as the webhook handler would write it. */
export async function createInstallation(
  sql: Db,
  opts: {
    id?: number;
    accountId: number;
    accountLogin?: string;
    accountType?: "User" | "Organization";
    installedBy?: number;
    status?: "active" | "suspended" | "deleted";
  },
) {
  const id = opts.id ?? 70_000_000 + Math.floor(Math.random() * 1e7);
  await sql`
    insert into public.github_installations (id, account_id, account_login, account_type, installed_by_github_id, status, updated_by)
    values (${id}, ${opts.accountId}, ${opts.accountLogin ?? `acct-${opts.accountId}`}, ${opts.accountType ?? "User"},
            ${opts.installedBy ?? opts.accountId}, ${opts.status ?? "active"}, 'system:test')`;
  return id;
}
