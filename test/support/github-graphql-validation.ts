import {
  GraphQLError,
  Kind,
  getNamedType,
  parse,
  specifiedRules,
  validate,
  type FieldNode,
  type ValidationRule,
} from "graphql";
import { githubSchema } from "./github-graphql-fixtures.ts";

/**
 * GitHub rejects, at its own validation step, any connection without `first` or `last`
 * in 1..100; graphql-js does not know that rule, so it is added here.
 */
export const connectionsArePaginated: ValidationRule = (context) => ({
  Field(node: FieldNode) {
    const type = context.getType();
    if (!type || !getNamedType(type).name.endsWith("Connection")) return;
    const page = node.arguments?.find((a) => a.name.value === "first" || a.name.value === "last");
    const n = page?.value.kind === Kind.INT ? Number(page.value.value) : Number.NaN;
    if (!(n >= 1 && n <= 100)) {
      context.reportError(
        new GraphQLError(`connection "${node.name.value}" needs first or last within 1-100`, {
          nodes: node,
        }),
      );
    }
  },
});

/** Every error GitHub's published schema (plus its pagination rule) reports for `source`. */
export function validateAgainstGitHub(source: string) {
  return validate(githubSchema(), parse(source), [...specifiedRules, connectionsArePaginated]);
}

/** The messages of validateAgainstGitHub's errors. */
export function githubValidationErrors(source: string): string[] {
  return validateAgainstGitHub(source).map((e) => e.message);
}
