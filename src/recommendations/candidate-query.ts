import { NEWCOMER_LABELS } from "./rank.ts";

/**
 * One search per label group and batch of repositories: open, unassigned issues carrying a
 * newcomer label.
 * `first: 100` is GitHub's page maximum; a batch returns at most that many issues, newest
 * activity first, which is what ranking prefers anyway. The search string travels as a
 * variable; labels and assignees are read back so the cache records what GitHub said.
 */
export const CANDIDATE_QUERY = /* GraphQL */ `
  query CandidateIssues($searchQuery: String!) {
    search(type: ISSUE, query: $searchQuery, first: 100) {
      issueCount
      nodes {
        ... on Issue {
          databaseId
          number
          title
          url
          createdAt
          updatedAt
          labels(first: 20) {
            nodes {
              name
            }
          }
          assignees(first: 1) {
            totalCount
          }
          repository {
            nameWithOwner
            primaryLanguage {
              name
            }
          }
        }
      }
    }
  }
`;

/**
 * GitHub refuses a search query longer than 256 characters
 * (https://docs.github.com/en/search-github/getting-started-with-searching-on-github/troubleshooting-search-queries#limitations-on-query-length);
 * repositories are batched to stay within it.
 */
export const MAX_SEARCH_QUERY_LENGTH = 256;

const QUALIFIERS = "is:issue is:open no:assignee sort:updated-desc label:";
/** `repo:` and the longest owner/name GitHub allows (39 + 1 + 100 characters). */
const LONGEST_REPO_CLAUSE = "repo:".length + 39 + 1 + 100;

/** GitHub's owner/name alphabet: nothing here can add a qualifier or an operator. */
const REPOSITORY_PATTERN = /^[A-Za-z0-9-]{1,39}\/[A-Za-z0-9._-]{1,100}$/;

export function isSearchableRepository(fullName: string): boolean {
  return REPOSITORY_PATTERN.test(fullName) && !fullName.endsWith("/.") && !fullName.endsWith("/..");
}

/** `label:a,b` ORs the labels; only a name with a space needs quotes. */
export function labelClause(labels: readonly string[]): string {
  return labels.map((l) => (/^[a-z0-9-]+$/.test(l) ? l : JSON.stringify(l))).join(",");
}

/**
 * NEWCOMER_LABELS in as few groups as fit next to the longest repository name within
 * MAX_SEARCH_QUERY_LENGTH: all of them do not fit in one query, so each repository batch
 * is searched once per group.
 */
export const LABEL_GROUPS: readonly (readonly string[])[] = (() => {
  const budget = MAX_SEARCH_QUERY_LENGTH - LONGEST_REPO_CLAUSE - 1 - QUALIFIERS.length;
  const groups: string[][] = [];
  // First fit: each label joins the first group with room for it.
  for (const label of NEWCOMER_LABELS) {
    const room = groups.find((g) => labelClause([...g, label]).length <= budget);
    if (room) room.push(label);
    else groups.push([label]);
  }
  return groups;
})();

export interface SearchBatch {
  repositories: string[];
  labels: readonly string[];
  query: string;
}

/**
 * Search strings covering every given repository with every newcomer label, each within
 * MAX_SEARCH_QUERY_LENGTH (repeated `repo:` qualifiers are OR-ed by GitHub): one per label
 * group and batch of repositories. Names GitHub could not have issued are left out rather
 * than pasted into search syntax.
 */
export function buildCandidateSearches(repositories: readonly string[]): SearchBatch[] {
  const names = [...new Set(repositories.filter(isSearchableRepository))].sort();
  const batches: SearchBatch[] = [];
  for (const labels of LABEL_GROUPS) {
    const queryOf = (repos: string[]) =>
      `${repos.map((r) => `repo:${r}`).join(" ")} ${QUALIFIERS}${labelClause(labels)}`;
    let current: string[] = [];
    for (const name of names) {
      const next = [...current, name];
      if (current.length > 0 && queryOf(next).length > MAX_SEARCH_QUERY_LENGTH) {
        batches.push({ repositories: current, labels, query: queryOf(current) });
        current = [name];
      } else {
        current = next;
      }
    }
    if (current.length > 0)
      batches.push({ repositories: current, labels, query: queryOf(current) });
  }
  return batches;
}
