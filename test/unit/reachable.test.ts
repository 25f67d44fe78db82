import { spawnSync } from "node:child_process";
import { chmod, chown, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { canTraverse, firstBlockedFolder } from "../../src/db/embedded/reachable.ts";
import { type ServerUser, serverUser } from "../../src/db/embedded/server-user.ts";
import { useTempDirs } from "../support/temp-dir.ts";

const tempDir = useTempDirs("reach");

describe("canTraverse", () => {
  const user = { uid: 101, gid: 104 };
  it.each([
    [{ mode: 0o700, uid: 0, gid: 0 }, false],
    [{ mode: 0o701, uid: 0, gid: 0 }, true],
    [{ mode: 0o710, uid: 0, gid: 104 }, true],
    // The group's bits decide for a group member, even when "other" would allow it.
    [{ mode: 0o701, uid: 0, gid: 104 }, false],
    [{ mode: 0o100, uid: 101, gid: 0 }, true],
    [{ mode: 0o011, uid: 101, gid: 104 }, false],
  ])("%o → %s", (folder, expected) => {
    expect(canTraverse(folder, user)).toBe(expected);
  });

  it("lets root through anything", () => {
    expect(canTraverse({ mode: 0o000, uid: 5, gid: 5 }, { uid: 0, gid: 0 })).toBe(true);
  });
});

describe("firstBlockedFolder agrees with the kernel", () => {
  /** As root: the postgres user the server runs as; otherwise ourselves. */
  const who = async (): Promise<ServerUser> =>
    (await serverUser()) ?? { uid: process.getuid!(), gid: process.getgid!() };

  /** Whether `user` can look `target` up: needs every folder above it to be passable. */
  const kernelReaches = (target: string, user: ServerUser) => {
    const asUser = process.getuid?.() === 0 ? user : {};
    return spawnSync("test", ["-e", target], { ...asUser, cwd: "/" }).status === 0;
  };

  it("finds the folder that stops the server user, in a private tree and below it", async () => {
    const user = await who();
    const base = await tempDir();
    const modes = { open: 0o755, closed: 0o700, none: 0o000, group: 0o710, other: 0o701 };
    const targets: string[] = [];
    for (const [name, mode] of Object.entries(modes)) {
      const folder = path.join(base, name);
      await mkdir(path.join(folder, "inner"), { recursive: true });
      await writeFile(path.join(folder, "inner", "target"), "");
      await chown(folder, process.getuid!(), user.gid);
      await chmod(folder, mode);
      targets.push(path.join(folder, "inner", "target"));
    }
    let blockedSomewhere = 0;
    for (const baseMode of [0o700, 0o711]) {
      await chmod(base, baseMode);
      for (const target of targets) {
        const blocked = await firstBlockedFolder(target, user);
        expect({ target, baseMode, reaches: blocked === undefined }).toEqual({
          target,
          baseMode,
          reaches: kernelReaches(target, user),
        });
        if (blocked) {
          blockedSomewhere++;
          // The folder named can be reached, but not passed.
          expect(kernelReaches(blocked, user)).toBe(true);
          expect(kernelReaches(path.join(blocked, "x"), user)).toBe(false);
        }
      }
    }
    expect(blockedSomewhere).toBeGreaterThan(0);
    await chmod(path.join(base, "none"), 0o700);
  });
});
