import { readFileSync } from "node:fs";
import semver from "semver";
import { describe, expect, it } from "vitest";

interface LockedPackage {
  engines?: { node?: string };
  optional?: boolean;
}

const manifest = JSON.parse(readFileSync("package.json", "utf8")) as {
  engines: { node: string };
};
const lock = JSON.parse(readFileSync("package-lock.json", "utf8")) as {
  packages: Record<string, LockedPackage>;
};

describe("engines", () => {
  it("promises no Node version that a locked package refuses (npm ci would print EBADENGINE)", () => {
    const ours = manifest.engines.node;
    const refusing = Object.entries(lock.packages)
      .filter(([path, entry]) => path !== "" && !entry.optional && entry.engines?.node)
      .filter(([, entry]) => !semver.subset(ours, entry.engines!.node!))
      .map(
        ([path, entry]) => `${path.replace(/^.*node_modules\//, "")} wants ${entry.engines!.node}`,
      );
    expect(refusing).toEqual([]);
  });

  it("says the same range in the lockfile and the README", () => {
    expect(lock.packages[""]?.engines?.node).toBe(manifest.engines.node);
    const readme = readFileSync("README.md", "utf8");
    expect(readme).toContain(
      `Node ${semver.minVersion(manifest.engines.node)!.version.replace(/\.0$/, "")}+`,
    );
  });
});
