import { isDeepStrictEqual } from "node:util";
import { schema as published } from "@octokit/graphql-schema";
import {
  buildClientSchema,
  executeSync,
  parse,
  responsePathAsArray,
  type GraphQLFieldResolver,
  type GraphQLSchema,
  type IntrospectionQuery,
} from "graphql";
import { AUDIT_QUERY, type AuditQueryVariables } from "../../src/audit/audit-query.ts";

let built: GraphQLSchema | undefined;

/** GitHub's published schema. schema.json is a bare introspection result (no `data` wrapper). */
export function githubSchema(): GraphQLSchema {
  built ??= buildClientSchema(published.json as IntrospectionQuery);
  return built;
}

export interface AuditFixtureOverrides {
  /** `null` is GitHub's answer for a login that does not exist (or is an organization). */
  user?: null;
  createdAt?: string;
  followers?: number;
  yearlyContributions?: number;
  /** One entry per repository; `null` where GitHub detected no language. */
  languages?: (string | null)[];
  mergedPrs?: number;
  mergedPrsExternal?: number;
  closedIssues?: number;
}

export interface AuditGraphqlResponse {
  data: {
    user: {
      createdAt: string;
      followers: { totalCount: number };
      contributionsCollection: { contributionCalendar: { totalContributions: number } };
      repositories: { nodes: { primaryLanguage: { name: string } | null }[] };
    } | null;
    mergedPrs: { issueCount: number };
    mergedPrsExternal: { issueCount: number };
    closedIssues: { issueCount: number };
    rateLimit: { cost: number; remaining: number; resetAt: string };
  };
}

/** A realistic answer to AUDIT_QUERY, shaped like what api.github.com/graphql returns. */
export function auditGraphqlResponse(overrides: AuditFixtureOverrides = {}): AuditGraphqlResponse {
  const o = {
    createdAt: "2019-03-14T09:26:53Z",
    followers: 42,
    yearlyContributions: 517,
    languages: ["TypeScript", "Go", null, "TypeScript", "Rust", "Go"],
    mergedPrs: 88,
    mergedPrsExternal: 23,
    closedIssues: 15,
    ...overrides,
  };
  return {
    data: {
      user:
        overrides.user === null
          ? null
          : {
              createdAt: o.createdAt,
              followers: { totalCount: o.followers },
              contributionsCollection: {
                contributionCalendar: { totalContributions: o.yearlyContributions },
              },
              repositories: {
                nodes: o.languages.map((name) => ({
                  primaryLanguage: name === null ? null : { name },
                })),
              },
            },
      mergedPrs: { issueCount: o.mergedPrs },
      mergedPrsExternal: { issueCount: o.mergedPrsExternal },
      closedIssues: { issueCount: o.closedIssues },
      rateLimit: { cost: 1, remaining: 4_987, resetAt: "2025-06-01T12:00:00Z" },
    },
  };
}

export interface SchemaConformance {
  /** Empty when the response is something GitHub's schema could have produced for AUDIT_QUERY. */
  problems: string[];
  /** Arguments each field received after variable substitution, keyed by response path. */
  argumentsByPath: Record<string, Record<string, unknown>>;
}

/**
 * Replays `data` through AUDIT_QUERY executed on GitHub's schema: each field
 * resolves to the value under its response key (the alias, if any), so graphql-js
 * itself enforces non-null fields, scalar types (Int is 32-bit) and list shapes.
 * Fields the query never selects are dropped by execution, so comparing the
 * result with the input also catches fixtures that invent fields.
 * The custom DateTime scalar is opaque to a client schema: its format is not checked here.
 */
export function checkAuditResponseConformance(
  data: unknown,
  variableValues: AuditQueryVariables,
): SchemaConformance {
  const argumentsByPath: Record<string, Record<string, unknown>> = {};
  const byResponseKey: GraphQLFieldResolver<unknown, unknown> = (source, args, _context, info) => {
    if (Object.keys(args as object).length > 0)
      argumentsByPath[responsePathAsArray(info.path).join(".")] = args as Record<string, unknown>;
    return (source as Record<string, unknown>)[info.path.key as string];
  };
  const result = executeSync({
    schema: githubSchema(),
    document: parse(AUDIT_QUERY),
    rootValue: data,
    variableValues,
    fieldResolver: byResponseKey,
  });
  const problems = (result.errors ?? []).map(
    (e) => `${e.path?.join(".") ?? "(query)"}: ${e.message}`,
  );
  // Execution returns null-prototype objects; a JSON round trip makes them comparable.
  const replayed: unknown = JSON.parse(JSON.stringify(result.data ?? null));
  if (problems.length === 0 && !isDeepStrictEqual(replayed, data)) {
    problems.push("response holds fields or values that AUDIT_QUERY does not select");
  }
  return { problems, argumentsByPath };
}
