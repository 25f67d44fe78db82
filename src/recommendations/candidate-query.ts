import { NEWCOMER_LABELS } from "./rank.ts";

/**
 * One search per batch of repositories: open, unassigned issues carrying a newcomer label.
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

const QUALIFIERS = `is:issue is:open no:assignee sort:updated-desc label:${NEWCOMER_LABELS.map((l) => JSON.stringify(l)).join(",")}`;

/** GitHub's owner/name alphabet: nothing here can add a qualifier or an operator. */
const REPOSITORY_PATTERN = /^[A-Za-z0-9-]{1,39}\/[A-Za-z0-9._-]{1,100}$/;

export function isSearchableRepository(fullName: string): boolean {
  return REPOSITORY_PATTERN.test(fullName) && !fullName.endsWith("/.") && !fullName.endsWith("/..");
}

export interface SearchBatch {
  repositories: string[];
  query: string;
}

/**
 * Search strings covering every given repository, each within MAX_SEARCH_QUERY_LENGTH
 * (repeated `repo:` qualifiers are OR-ed by GitHub). Names GitHub could not have issued
 * are left out rather than pasted into search syntax.
 */
export function buildCandidateSearches(repositories: readonly string[]): SearchBatch[] {
  const names = [...new Set(repositories.filter(isSearchableRepository))].sort();
  const batches: SearchBatch[] = [];
  let current: string[] = [];
  const queryOf = (repos: string[]) => `${repos.map((r) => `repo:${r}`).join(" ")} ${QUALIFIERS}`;
  for (const name of names) {
    const next = [...current, name];
    if (current.length > 0 && queryOf(next).length > MAX_SEARCH_QUERY_LENGTH) {
      batches.push({ repositories: current, query: queryOf(current) });
      current = [name];
    } else {
      current = next;
    }
  }
  if (current.length > 0) batches.push({ repositories: current, query: queryOf(current) });
  return batches;
}
