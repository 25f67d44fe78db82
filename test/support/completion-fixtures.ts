import type { Sql } from "postgres";
import { createInstallation, createUser } from "./fixtures.ts";

type Db = Sql<{ bigint: number }>;

let issueSeq = 5_000_000;
let repoSeq = 900_000;

export const ISSUE_REPO = "octo/demo";

/**
 * A user with an active installation that lists `octo/demo` (repository id `repositoryId`)
 * and an open recommendation on issue #`issueNumber` there. Claim it over HTTP in the test.
 */
export async function arrangeCompletion(sql: Db, opts: { installationRepo?: boolean } = {}) {
  const user = await createUser(sql);
  const installationId = await createInstallation(sql, { accountId: user.githubId });
  const repositoryId = repoSeq++;
  if (opts.installationRepo !== false) {
    await sql`
      insert into public.github_installation_repositories (installation_id, repository_id, full_name, updated_by)
      values (${installationId}, ${repositoryId}, ${ISSUE_REPO}, 'system:test')`;
  }
  const ghIssueId = issueSeq++;
  const issueNumber = (ghIssueId % 10_000) + 1;
  const issueUrl = `https://github.com/${ISSUE_REPO}/issues/${issueNumber}`;
  const [issue] = await sql<{ id: number }[]>`
    insert into public.candidate_issues (github_issue_id, repo_full_name, number, title, html_url, updated_by)
    values (${ghIssueId}, ${ISSUE_REPO}, ${issueNumber}, 'Fix a thing', ${issueUrl}, 'system:test')
    returning id`;
  const [rec] = await sql<{ id: number }[]>`
    insert into public.recommendations (user_id, candidate_issue_id, expires_at, created_by, updated_by)
    values (${user.id}, ${issue!.id}, ${new Date(Date.now() + 7 * 86_400_000)}, 'system:test', 'system:test')
    returning id`;
  return { user, installationId, repositoryId, issueNumber, issueUrl, recId: rec!.id };
}

export async function recommendationRow(sql: Db, id: number) {
  const [row] = await sql<{ status: string; completed: boolean; updated_by: string }[]>`
    select status, completed_at is not null as completed, updated_by
      from public.recommendations where id = ${id}`;
  return row!;
}

export async function completionRows(sql: Db, recId: number) {
  return sql<{ id: number; status: string; reason: string | null; requests: number }[]>`
    select id, status, reason, requests, pr_owner, pr_repo, pr_number, created_by, updated_by
      from public.recommendation_completions where recommendation_id = ${recId} order by id`;
}
