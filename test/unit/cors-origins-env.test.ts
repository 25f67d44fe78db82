import { describe, expect, it } from "vitest";
import { ConfigError, readEnv } from "../../src/config/env.ts";

function refusal(env: Record<string, string>): string {
  try {
    readEnv(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error("readEnv accepted the environment");
}

const readEnvDescription =
  "browser origins allowed to call /api/actions/* (comma-separated exact origins, e.g. https://app.example.com); none by default";
const MESSAGE =
  "each entry must be an exact http(s) origin such as https://app.example.com (scheme, lower-case host, optional port; no path, query, trailing slash or *)";

describe("CORS_ORIGINS", () => {
  it("is empty unless configured, and reads a trimmed comma list of exact origins", () => {
    expect(readEnv({}).CORS_ORIGINS).toEqual([]);
    expect(readEnv({ CORS_ORIGINS: "" }).CORS_ORIGINS).toEqual([]);
    expect(
      readEnv({ CORS_ORIGINS: " https://app.example.com ,http://localhost:5173,, " }).CORS_ORIGINS,
    ).toEqual(["https://app.example.com", "http://localhost:5173"]);
  });

  it("refuses anything a browser would never send as Origin, naming the variable but not the value", () => {
    for (const bad of [
      "*",
      "null",
      "app.example.com",
      "ftp://app.example.com",
      "https://app.example.com/",
      "https://app.example.com/path",
      "https://app.example.com?x=1",
      "https://App.Example.com",
      "https://app.example.com:443",
      "https://user@app.example.com",
    ]) {
      // One fixed message whatever the value: nothing of it is echoed.
      expect(refusal({ CORS_ORIGINS: `https://ok.example.com,${bad}` }), bad).toBe(
        `[config] invalid environment:\n  CORS_ORIGINS (${readEnvDescription}): ${MESSAGE}`,
      );
    }
  });
});
