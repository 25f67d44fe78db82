import { z } from "zod";
import {
  buildCandidateSearches,
  CANDIDATE_QUERY,
  LABEL_GROUPS,
  searchVariables,
} from "./candidate-query.ts";

/** An issue as the candidate cache stores it (store_candidate_issues' item shape). */
export interface FetchedCandidate {
  github_issue_id: number;
  repo_full_name: string;
  number: number;
  title: string;
  html_url: string;
  language: string | null;
  labels: string[];
  created_at: string;
  updated_at: string;
  assigned: boolean;
}

/** The GitHub App's side: searches with an installation token minted for the call. */
export interface GitHubCandidateSource {
  fetchCandidateIssues(input: {
    installationId: number;
    repositories: readonly string[];
  }): Promise<FetchedCandidate[]>;
}

type Graphql = (query: string, variables: Record<string, string>) => Promise<unknown>;

const dateTime = z.iso.datetime({ offset: true });
// Nullability mirrors GitHub's schema; a node that is not an Issue arrives as `{}`.
const issueNode = z.object({
  databaseId: z.number().int().positive().nullable(),
  number: z.number().int().positive(),
  title: z.string(),
  url: z.string(),
  createdAt: dateTime,
  updatedAt: dateTime,
  labels: z
    .object({ nodes: z.array(z.object({ name: z.string() }).nullable()).nullable() })
    .nullable(),
  assignees: z.object({ totalCount: z.number().int().min(0) }),
  repository: z.object({
    nameWithOwner: z.string(),
    primaryLanguage: z.object({ name: z.string() }).nullable(),
  }),
});
const searchSchema = z.object({ nodes: z.array(z.unknown()).nullable() });
// One aliased search per label group: g0, g1, …
const responseSchema = z.object(
  Object.fromEntries(LABEL_GROUPS.map((_, i) => [`g${i}`, searchSchema])),
) as z.ZodType<Record<string, z.infer<typeof searchSchema>>>;

/**
 * Searches GitHub for the repositories' candidate issues, one request per batch of
 * repositories, holding a search per label group (see buildCandidateSearches). Only issues of the asked repositories are returned, whatever
 * the search matched.
 */
export async function fetchCandidates(
  graphql: Graphql,
  repositories: readonly string[],
): Promise<FetchedCandidate[]> {
  // GitHub may spell a name in another case than the installation's list; the list wins.
  const wanted = new Map(repositories.map((r) => [r.toLowerCase(), r]));
  const found = new Map<number, FetchedCandidate>();
  for (const batch of buildCandidateSearches(repositories)) {
    const parsed = responseSchema.safeParse(await graphql(CANDIDATE_QUERY, searchVariables(batch)));
    if (!parsed.success) {
      throw new Error("[recommendations] GitHub's search answer did not have the expected shape");
    }
    // An issue with labels of two groups comes back twice: it is stored once, by id.
    const nodes = Object.values(parsed.data).flatMap((search) => search.nodes ?? []);
    for (const node of nodes) {
      const issue = issueNode.safeParse(node);
      if (!issue.success || issue.data.databaseId === null) continue;
      const i = issue.data;
      const repo = wanted.get(i.repository.nameWithOwner.toLowerCase());
      if (repo === undefined) continue;
      found.set(i.databaseId!, {
        github_issue_id: i.databaseId!,
        repo_full_name: repo,
        number: i.number,
        title: i.title,
        html_url: i.url,
        language: i.repository.primaryLanguage?.name ?? null,
        labels: (i.labels?.nodes ?? []).flatMap((l) => (l ? [l.name] : [])),
        created_at: i.createdAt,
        updated_at: i.updatedAt,
        assigned: i.assignees.totalCount > 0,
      });
    }
  }
  return [...found.values()].sort((a, b) => a.github_issue_id - b.github_issue_id);
}
