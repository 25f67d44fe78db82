/** A pull request as its URL names it; nothing here says it exists. */
export interface PullRequestRef {
  owner: string;
  repo: string;
  number: number;
}

// GitHub's own limits: owners are 1-39 of [A-Za-z0-9-], repositories 1-100 of [A-Za-z0-9._-].
const OWNER = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})";
const REPO = "[A-Za-z0-9._-]{1,100}";
const NUMBER = "[1-9][0-9]{0,9}";
// The one host accepted; a GitHub Enterprise Server host would be added here.
const PULL_REQUEST_URL = new RegExp(`^https://github\\.com/(${OWNER})/(${REPO})/pull/(${NUMBER})$`);

/**
 * Strict: exactly `https://github.com/<owner>/<repo>/pull/<n>`, no query, fragment,
 * trailing path, credentials or port. Undefined for anything else.
 */
export function parsePullRequestUrl(url: string): PullRequestRef | undefined {
  const match = PULL_REQUEST_URL.exec(url);
  if (!match) return undefined;
  const [, owner, repo, digits] = match;
  const number = Number(digits);
  if (repo === "." || repo === ".." || number > 2_147_483_647) return undefined;
  return { owner: owner!, repo: repo!, number };
}
