/**
 * Finds credentials in arbitrary values so they can be refused (Inngest
 * firewall) or redacted (logs). Findings name a path and a kind, never the value.
 *
 * Two rules apply: a string is flagged if it CONTAINS a credential-shaped
 * substring (CREDENTIAL_PATTERNS), or if it is the non-empty value of a
 * credential-NAMED key (CREDENTIAL_NAME_SUFFIXES). Random opaque secrets
 * (Inngest event keys, GitHub client and webhook secrets: plain random text or
 * 40 hex chars, the same shape as a git SHA) cannot be told apart by shape, so
 * they are caught only by name or, for event keys, inside an event API URL.
 */
export type CredentialFinding = { path: string; kind: string };

type CredentialPattern = {
  kind: string;
  /** Global regex; an optional named group `keep` is context left in place. */
  pattern: RegExp;
  /**
   * Every match contains one of these, ignoring case: a string holding none is not run
   * through `pattern` (most strings scanned are ids and names, holding none).
   */
  hints: readonly string[];
  /** Final check on the secret part, for shapes that prose can also take. */
  accept?: (secret: string) => boolean;
};

export const REDACTED = "[REDACTED]";

// Order matters: earlier rules redact first, so "Bearer <jwt>" reports "jwt" once.
// Value character classes exclude quotes, backslashes and whitespace so that
// redacting a serialized JSON log line can never swallow its delimiters.
export const CREDENTIAL_PATTERNS: readonly CredentialPattern[] = [
  // RSA / EC / OPENSSH / ENCRYPTED / plain PKCS#8; a truncated key (no END) is redacted too.
  {
    kind: "pem-private-key",
    hints: ["-----begin"],
    pattern:
      /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY-----(?:(?!-----END)[A-Za-z0-9+/=\s:,.\\-])*(?:-----END \1PRIVATE KEY-----)?/g,
  },
  // https://x-access-token:ghs_…@github.com, postgres://user:pass@host (bounded:
  // commit messages and issue bodies are attacker-written, so no quadratic scans)
  {
    kind: "url-credentials",
    hints: ["://"],
    pattern:
      /(?<keep>\b[a-z][a-z0-9+.-]{0,20}:\/\/)[^\s/?#@:"'\\<>]{1,256}:[^\s/?#@"'\\<>]{1,1024}(?=@)/gi,
  },
  // Any JWT (GitHub App JWTs, Supabase anon/service-role keys, access tokens).
  {
    kind: "jwt",
    hints: ["eyj"],
    pattern: /(?<![A-Za-z0-9])eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g,
  },
  // This service's automation API keys (src/api-keys/api-key-format.ts); 8+ characters, so a
  // key's display prefix is caught too.
  { kind: "api-key", hints: ["cfk_"], pattern: /(?<![A-Za-z0-9])cfk_[A-Za-z0-9]{8,}/g },
  {
    kind: "github-fine-grained-pat",
    hints: ["github_pat_"],
    pattern: /(?<![A-Za-z0-9])github_pat_[A-Za-z0-9_]{20,}/g,
  },
  // ghp_ personal, gho_ OAuth, ghu_ user-to-server, ghs_ installation, ghr_ refresh.
  {
    kind: "github-token",
    hints: ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
    pattern: /(?<![A-Za-z0-9])gh[pousr]_[A-Za-z0-9_]{20,}/g,
  },
  // sb_publishable_ keys are public by design and deliberately not matched.
  {
    kind: "supabase-secret-key",
    hints: ["sb_secret_"],
    pattern: /(?<![A-Za-z0-9])sb_secret_[A-Za-z0-9_-]{16,}/g,
  },
  {
    kind: "supabase-access-token",
    hints: ["sbp_"],
    pattern: /(?<![A-Za-z0-9])sbp_[A-Za-z0-9_]{32,}/g,
  },
  {
    kind: "inngest-signing-key",
    hints: ["signkey-"],
    pattern: /(?<![A-Za-z0-9])signkey-[a-z0-9]+-[0-9a-f]{16,}/gi,
  },
  // The SDK posts events to `<base>/e/<eventKey>`; the dev dummy key is 16 chars.
  { kind: "inngest-event-key-url", hints: ["/e/"], pattern: /(?<keep>\/e\/)[A-Za-z0-9_-]{32,}/g },
  // password=…, ?access_token=…, "client_secret":"…" inside serialized text.
  {
    kind: "credential-assignment",
    hints: ["=", ":"],
    pattern:
      /(?<keep>(?<![A-Za-z0-9_])(?:client[_-]?secret|access[_-]?token|refresh[_-]?token|provider[_-]?token|id[_-]?token|api[_-]?key|private[_-]?key|password|passwd|secret|token)(?:\s*=\s*|"\s*:\s*"|'\s*:\s*'))(?!\[REDACTED\])[^\s&"'\\,;}]+/gi,
  },
  // A digit is required so that prose ("the bearer instrument") is left alone.
  {
    kind: "bearer-authorization",
    hints: ["bearer"],
    pattern: /(?<keep>\bbearer\s+)(?=[A-Za-z0-9._~+/-]*[0-9])[A-Za-z0-9._~+/-]{16,}=*/gi,
  },
  {
    kind: "token-authorization",
    hints: ["token"],
    pattern: /(?<keep>(?<![A-Za-z0-9_])token\s+)(?=[A-Za-z0-9_.-]*[0-9])[A-Za-z0-9_.-]{30,}/gi,
  },
  {
    kind: "basic-authorization",
    hints: ["basic"],
    pattern: /(?<keep>\bbasic\s+)[A-Za-z0-9+/]{6,}={0,2}/gi,
    accept: isBasicCredential,
  },
];

/**
 * A key whose normalized name (lowercase, only [a-z0-9]) ends with one of these
 * holds a credential. `tokenExpiresAt`, `token_type`, `installationId` do not end so.
 */
export const CREDENTIAL_NAME_SUFFIXES = [
  "token",
  "secret",
  "password",
  "passwd",
  "privatekey",
  "apikey",
  "authorization",
  "cookie",
  "signingkey",
  "signingkeyfallback",
  "eventkey",
  "servicerolekey",
  "credential",
  "credentials",
  "jwt",
] as const;
// Pagination cursors are called tokens but grant nothing.
const NAME_EXCEPTIONS = new Set([
  "pagetoken",
  "nextpagetoken",
  "prevpagetoken",
  "nexttoken",
  "continuationtoken",
]);

const MAX_DEPTH = 64;
const MAX_NODES = 100_000;

function isBasicCredential(secret: string): boolean {
  const decoded = Buffer.from(secret, "base64").toString("latin1");
  return decoded.includes(":") && /^[\x20-\x7e]+$/.test(decoded);
}

export function isCredentialName(key: string): boolean {
  const name = key.toLowerCase().replace(/[^a-z0-9]/g, "");
  return !NAME_EXCEPTIONS.has(name) && CREDENTIAL_NAME_SUFFIXES.some((s) => name.endsWith(s));
}

const HINTS = CREDENTIAL_PATTERNS.map((p) => p.hints.map((h) => h.toLowerCase()));

function scan(text: string): { redacted: string; kinds: string[] } {
  const kinds: string[] = [];
  let redacted = text;
  // Without the u flag, /i folds ASCII letters only (ES Canonicalize), so a lowercase copy
  // holds the hint of every match. A u flag would fold "ſ" to "s": keep these patterns ASCII.
  const lower = text.toLowerCase();
  CREDENTIAL_PATTERNS.forEach(({ kind, pattern, accept }, i) => {
    if (!HINTS[i]!.some((hint) => lower.includes(hint))) return;
    let hit = false;
    redacted = redacted.replace(pattern, (match: string, ...rest: unknown[]) => {
      const groups = rest.at(-1);
      const keep =
        typeof groups === "object" && groups !== null
          ? ((groups as { keep?: string }).keep ?? "")
          : "";
      if (accept && !accept(match.slice(keep.length))) return match;
      hit = true;
      return keep + REDACTED;
    });
    if (hit) kinds.push(kind);
  });
  return { redacted, kinds };
}

export function redactCredentials(text: string): string {
  return scan(text).redacted;
}

type Walk = { findings: CredentialFinding[]; ancestors: Set<object>; nodes: number };

function keyPath(parent: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

function visitString(value: string, path: string, named: boolean, walk: Walk): string {
  const { redacted, kinds } = scan(value);
  for (const kind of kinds) walk.findings.push({ path, kind });
  if (kinds.length === 0 && named && value !== "" && value !== REDACTED) {
    walk.findings.push({ path, kind: "credential-named-key" });
    return REDACTED;
  }
  return redacted;
}

// Error fields that JSON.stringify skips (non-enumerable) but Inngest and pino serialize.
export const ERROR_FIELDS: readonly string[] = ["name", "message", "stack", "cause", "errors"];

/** Visits own fields; returns the same object when nothing changed (copy on write). */
function visitFields(obj: object, keys: string[], path: string, depth: number, walk: Walk): object {
  let changes: Map<string, [safeKey: string, out: unknown]> | undefined;
  for (const key of keys) {
    let child: unknown;
    try {
      child = (obj as Record<string, unknown>)[key];
    } catch {
      continue; // a throwing getter yields nothing that could be stored
    }
    const safeKey = visitString(key, keyPath(path, REDACTED), false, walk);
    const out = visit(child, keyPath(path, safeKey), depth + 1, walk, isCredentialName(key));
    if (out !== child || safeKey !== key) (changes ??= new Map()).set(key, [safeKey, out]);
  }
  if (!changes) return obj;
  if (obj instanceof Error) {
    // Same prototype and own fields: `instanceof`, name, retryAfter, code survive.
    const copy = Object.create(
      Object.getPrototypeOf(obj) as object | null,
      Object.getOwnPropertyDescriptors(obj),
    ) as object;
    for (const [key, [, out]] of changes) {
      const enumerable = Object.getOwnPropertyDescriptor(obj, key)?.enumerable ?? false;
      Object.defineProperty(copy, key, {
        value: out,
        enumerable,
        writable: true,
        configurable: true,
      });
    }
    return copy;
  }
  const copy = Object.create(Object.getPrototypeOf(obj) as object | null) as Record<
    string,
    unknown
  >;
  for (const key of Object.keys(obj)) {
    const change = changes.get(key);
    if (change) copy[change[0]] = change[1];
    else copy[key] = (obj as Record<string, unknown>)[key];
  }
  return copy;
}

function visitMap(map: Map<unknown, unknown>, path: string, depth: number, walk: Walk): unknown {
  const entries = [...map];
  const out = entries.map(([key, child], i): [unknown, unknown] => {
    if (typeof key !== "string") return [key, visit(child, `${path}.get(#${i})`, depth + 1, walk)];
    const safeKey = visitString(key, `${path}.get(#${i})`, false, walk);
    return [
      safeKey,
      visit(
        child,
        `${path}.get(${JSON.stringify(safeKey)})`,
        depth + 1,
        walk,
        isCredentialName(key),
      ),
    ];
  });
  return out.some(([k, v], i) => k !== entries[i]?.[0] || v !== entries[i]?.[1])
    ? new Map(out)
    : map;
}

function jsonForm(value: object): unknown {
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  try {
    return typeof toJSON === "function" ? (toJSON.call(value) as unknown) : value;
  } catch {
    return value; // a failing toJSON: inspect the object's own fields instead
  }
}

function visit(value: unknown, path: string, depth: number, walk: Walk, named = false): unknown {
  if (typeof value === "string") return visitString(value, path, named, walk);
  if (typeof value !== "object" || value === null) return value;
  if (walk.ancestors.has(value)) return "[Circular]";
  if (depth > MAX_DEPTH || ++walk.nodes > MAX_NODES) {
    // Fail closed: what was not inspected may hold a secret.
    walk.findings.push({ path, kind: "uninspected-too-deep-or-large" });
    return REDACTED;
  }
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value;
  walk.ancestors.add(value);
  try {
    if (Array.isArray(value) || value instanceof Set) {
      const items = [...value];
      const out = items.map((item, i) => visit(item, `${path}[${i}]`, depth + 1, walk, named));
      if (out.every((item, i) => item === items[i])) return value;
      return Array.isArray(value) ? out : new Set(out);
    }
    if (value instanceof Map) return visitMap(value, path, depth, walk);
    if (value instanceof Error) {
      const keys = [...new Set([...ERROR_FIELDS.filter((k) => k in value), ...Object.keys(value)])];
      return visitFields(value, keys, path, depth, walk);
    }
    // What gets stored is the JSON form (Date, URL, Buffer, custom classes).
    const json = jsonForm(value);
    if (json !== value) return visit(json, path, depth + 1, walk, named);
    return visitFields(value, Object.keys(value), path, depth, walk);
  } finally {
    walk.ancestors.delete(value);
  }
}

function walkValue(value: unknown): { findings: CredentialFinding[]; redacted: unknown } {
  const walk: Walk = { findings: [], ancestors: new Set(), nodes: 0 };
  const redacted = visit(value, "$", 0, walk);
  return { findings: walk.findings, redacted };
}

export function findCredentials(value: unknown): CredentialFinding[] {
  return walkValue(value).findings;
}

export function containsCredential(value: unknown): boolean {
  return findCredentials(value).length > 0;
}

/**
 * A copy of `value` with every finding replaced by "[REDACTED]"; unchanged
 * sub-trees (and the value itself when clean) are returned as-is. Errors keep
 * their prototype, so NonRetriableError / RetryAfterError semantics survive.
 */
export function redactValue<T>(value: T): T {
  return walkValue(value).redacted as T;
}
