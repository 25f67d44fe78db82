/**
 * Who is calling, as far as the access token proves it. Deliberately nothing
 * from `user_metadata` (user-editable) or `app_metadata`: the GitHub identity
 * is read server-side from `auth.identities`, keyed by `userId`.
 */
export interface Session {
  userId: string;
  sessionId?: string;
  isAnonymous: boolean;
}

export interface SessionVerifier {
  verify(token: string): Promise<Session>;
}
