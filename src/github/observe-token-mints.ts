/**
 * Counts mints at the fetch layer: @octokit/auth-app's token exchange bypasses
 * Octokit's request hooks. Only the URL and status are read.
 */
const MINT_PATH = /\/app\/installations\/(\d+)\/access_tokens$/;

function urlOf(input: string | URL | Request): string {
  return typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
}

export function observeTokenMints(
  fetchImpl: typeof fetch,
  onMint: (installationId: number) => void,
): typeof fetch {
  return async (input, init) => {
    const response = await fetchImpl(input, init);
    const match = response.ok ? MINT_PATH.exec(new URL(urlOf(input)).pathname) : null;
    if (match) onMint(Number(match[1]));
    return response;
  };
}
