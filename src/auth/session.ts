/**
 * Who is calling, as far as the access token proves it. Deliberately nothing
 * from `user_metadata` (user-editable) or `app_metadata`: the GitHub identity
 * is read server-side from `auth.identities`, keyed by `userId`.
 */
export interface Session {
  userId: string;
  sessionId?: string;
  isAnonymous: boolean;
  /**
   * Whether a person or an automation is calling. Set by the verifier from the kind of
   * credential it verified (a Supabase user access token is a person, an automation API
   * key is `api_key`), never from a claim or a body field, so no caller can promote itself.
   */
  actorSource: ActorSource;
  /** The API key's id (never the key) for an `api_key` session. */
  apiKeyId?: number;
}

export type ActorSource = "human" | "api_key";

export interface SessionVerifier {
  verify(token: string): Promise<Session>;
}
