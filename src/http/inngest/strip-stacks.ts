/** A JSON value without any `stack` field, at any depth: stacks carry absolute paths. */
export function stripStacks(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripStacks);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => key !== "stack")
      .map(([key, inner]) => [key, stripStacks(inner)]),
  );
}

/** The same value with every non-empty string `stack` emptied, keeping the field. */
export function blankStacks(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(blankStacks);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [
      key,
      key === "stack" && typeof inner === "string" ? "" : blankStacks(inner),
    ]),
  );
}
