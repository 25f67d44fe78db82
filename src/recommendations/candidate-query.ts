import { NEWCOMER_LABELS } from "./rank.ts";

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
 * MAX_SEARCH_QUERY_LENGTH: all of them do not fit in one search string, so a request
 * carries one search per group.
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

/**
 * One request per batch of repositories, holding one aliased search per label group
 * (`g0`, `g1`, …, variables `q0`, `q1`, …): open, unassigned issues carrying a newcomer
 * label. `first: 100` is GitHub's page maximum; a search returns at most that many issues,
 * newest activity first, which is what ranking prefers anyway. The search strings travel
 * as variables; labels and assignees are read back so the cache records what GitHub said.
 */
export const CANDIDATE_QUERY = /* GraphQL */ `
  query CandidateIssues(${LABEL_GROUPS.map((_, i) => `$q${i}: String!`).join(", ")}) {
${LABEL_GROUPS.map(
  (_, i) => `    g${i}: search(type: ISSUE, query: $q${i}, first: 100) {
      ...CandidateSearch
    }`,
).join("\n")}
  }

  fragment CandidateSearch on SearchResultItemConnection {
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
`;

export interface SearchBatch {
  repositories: string[];
  /** One search string per LABEL_GROUPS entry, in its order. */
  queries: string[];
}

/** CANDIDATE_QUERY's variables for a batch: `q<i>` is the search of label group i. */
export function searchVariables(batch: SearchBatch): Record<string, string> {
  return Object.fromEntries(batch.queries.map((q, i) => [`q${i}`, q]));
}

/**
 * Batches covering every given repository, each with one search string per label group
 * within MAX_SEARCH_QUERY_LENGTH (repeated `repo:` qualifiers are OR-ed by GitHub).
 * Names GitHub could not have issued are left out rather than pasted into search syntax.
 */
export function buildCandidateSearches(repositories: readonly string[]): SearchBatch[] {
  const names = [...new Set(repositories.filter(isSearchableRepository))].sort();
  const queriesOf = (repos: string[]) =>
    LABEL_GROUPS.map(
      (labels) => `${repos.map((r) => `repo:${r}`).join(" ")} ${QUALIFIERS}${labelClause(labels)}`,
    );
  const fits = (repos: string[]) =>
    queriesOf(repos).every((q) => q.length <= MAX_SEARCH_QUERY_LENGTH);
  const batches: SearchBatch[] = [];
  let current: string[] = [];
  for (const name of names) {
    const next = [...current, name];
    if (current.length > 0 && !fits(next)) {
      batches.push({ repositories: current, queries: queriesOf(current) });
      current = [name];
    } else {
      current = next;
    }
  }
  if (current.length > 0) batches.push({ repositories: current, queries: queriesOf(current) });
  return batches;
}
