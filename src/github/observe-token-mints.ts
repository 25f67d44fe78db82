/**
 * @octokit/auth-app emits nothing when it mints an installation token: the
 * exchange goes through the bare `request` handed to its hook, so even
 * `octokit.hook.after("request")` never sees it. The fetch underneath is the
 * one place every mint is observable; only the URL and status are read here.
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
