import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { isAlive } from "../../src/db/embedded/dir-lock.ts";
import { freePort } from "../../src/db/free-port.ts";
import { rawConnection } from "../support/raw-http.ts";
import {
  HEALTHY,
  type ServiceProcess,
  healthz,
  npmStart,
  until,
} from "../support/service-process.ts";
import { useTempDirs } from "../support/temp-dir.ts";

const tempDir = useTempDirs("stop");
const running: ServiceProcess[] = [];

afterEach(() => {
  // A failed test must not leave a service behind (its watchdog then stops Postgres).
  for (const svc of running.splice(0)) {
    if (svc.child.exitCode === null && svc.child.signalCode === null) {
      process.kill(-svc.child.pid!, "SIGKILL");
    }
  }
});

/** `npm start` on a fresh data folder inside a private folder, serving; with its pids. */
async function startedService() {
  const dir = path.join(await tempDir(), "data");
  const port = await freePort();
  const svc = npmStart({
    EMBEDDED_PG_DIR: dir,
    EMBEDDED_PG_PORT: String(await freePort()),
    PORT: String(port),
  });
  running.push(svc);
  expect(await healthz(port, 60_000)).toEqual(HEALTHY);
  const firstLine = async (file: string) =>
    Number.parseInt((await readFile(path.join(dir, file), "utf8")).split("\n")[0]!, 10);
  return {
    svc,
    dir,
    port,
    servicePid: await firstLine("owner.pid"),
    postmasterPid: await firstLine("pg/postmaster.pid"),
  };
}

type Started = Awaited<ReturnType<typeof startedService>>;

/** What every stop must leave: exit 0, "stopped" logged, no service, no Postgres, no lock. */
async function expectStoppedCleanly({ svc, dir, servicePid, postmasterPid }: Started) {
  expect(await svc.exited).toBe(0);
  expect(svc.output()).toContain('"msg":"[service] stopped"');
  expect(isAlive(servicePid)).toBe(false);
  expect(isAlive(postmasterPid)).toBe(false);
  expect(existsSync(path.join(dir, "owner.pid"))).toBe(false);
}

describe("the service and its Postgres stop as a unit", () => {
  // The fourth pair, SIGINT to the group (Ctrl-C), is the in-flight test below.
  it.each([
    ["SIGTERM", "npm"],
    ["SIGINT", "npm"],
    ["SIGTERM", "the process group"],
  ] as const)(
    "%s to %s stops the service and Postgres, removes the lock, logs stopped and exits 0",
    async (signal, target) => {
      const started = await startedService();
      expect(isAlive(started.postmasterPid)).toBe(true);

      const pid = started.svc.child.pid!;
      process.kill(target === "npm" ? pid : -pid, signal);

      await expectStoppedCleanly(started);
    },
    90_000,
  );

  it("Ctrl-C (SIGINT to the whole process group) lets an in-flight request finish against a live database, then stops Postgres", async () => {
    const started = await startedService();
    const { svc, port, postmasterPid } = started;
    // Two pipelined requests, the second cut off mid-headers. Once the first is answered,
    // the server has read the second's start: a request in flight.
    const conn = rawConnection(port);
    conn.write("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\nGET /healthz HTTP/1.1\r\nHost: t\r\n");
    expect(await conn.response()).toMatchObject({ status: 200 });

    // npm forwards its copy too: the service may get SIGINT twice (or once, if they coalesce).
    process.kill(-svc.child.pid!, "SIGINT");
    await until("the service to begin stopping", () => svc.output().includes("[service] stopping"));
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    expect(isAlive(postmasterPid)).toBe(true);

    conn.write("\r\n");
    const inFlight = await conn.response();
    expect(inFlight).toMatchObject({ status: 200, body: JSON.stringify(HEALTHY.body) });
    expect(inFlight.headers).toMatch(/^connection: close$/im);
    await conn.closed;

    await expectStoppedCleanly(started);
  }, 90_000);

  it("SIGKILL of the service's node process: Postgres stops on its own, and the folder starts again", async () => {
    const { svc, dir, servicePid, postmasterPid } = await startedService();

    process.kill(servicePid, "SIGKILL");

    await svc.exited;
    await until("Postgres to exit after its service died", () => !isAlive(postmasterPid));
    expect(existsSync(path.join(dir, "pg", "postmaster.pid"))).toBe(false);

    // The dead service's lock is stale: a new start takes the folder and finds its data.
    const again = npmStart(svc.env);
    running.push(again);
    expect(await healthz(Number(svc.env.PORT), 60_000)).toEqual(HEALTHY);
    expect(again.output()).toMatch(/"applied":0/);
    process.kill(again.child.pid!, "SIGTERM");
    expect(await again.exited).toBe(0);
  }, 90_000);
});
