/**
 * The token from `Authorization: Bearer <token>`; the scheme is
 * case-insensitive (RFC 9110 §11.1). Undefined for a missing header or any
 * other scheme: both mean "no user token".
 */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? "");
  return match?.[1];
}
