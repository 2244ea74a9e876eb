import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runKruzhok } from "@kruzhok/testkit";
import { apply, child, enrollmentHarness, flushOwnKeys, openGroup, world, type EnrollmentHarness } from "./fixtures/enrollment";

// The operator's command line (packages/cli) against enrollment listening on a port, run as a
// process: `kruzhok queues check` finds the Redis index out of step with Postgres, `queues
// rebuild` mends it.

let h: EnrollmentHarness;
let url: string;
beforeAll(async () => {
  h = await enrollmentHarness("enr-cli");
  url = await h.app.listen({ host: "127.0.0.1", port: 0 });
});
afterAll(() => h.close());

const run = (...args: string[]) => runKruzhok(["--enrollment-url", url, ...args]);

describe("kruzhok queues", () => {
  it("checks the index, finds it lost, rebuilds it, and checks it whole again", async () => {
    h.clock.set("2026-09-01T09:00:00Z");
    const w = await world(h);
    const { groupId } = await openGroup(h, w, { capacity: 1 });
    for (let i = 0; i < 3; i++) {
      const kid = await child(h, w);
      expect((await apply(h, kid.guardian, kid.childId, groupId)).statusCode).toBe(201);
    }
    await h.sync();
    const token = w.operator.authorization.replace(/^Bearer /, "");
    const scope = ["--token", token, "--municipality", w.municipalityId];

    const whole = await run("queues", "check", ...scope);
    expect(whole, whole.stderr).toMatchObject({ code: 0, stdout: "queues checked: 1 groups, 3 entries, 0 differ\n" });

    await flushOwnKeys(h);
    const lost = await run("queues", "check", ...scope);
    expect(lost.code).toBe(1);
    expect(lost.stdout).toContain(`group ${groupId}: Postgres 3, Redis 0`);
    expect(lost.stderr).toBe("kruzhok: the queue index differs from Postgres: run `kruzhok queues rebuild` with the same scope\n");

    const rebuilt = await run("queues", "rebuild", ...scope);
    expect(rebuilt, rebuilt.stderr).toMatchObject({ code: 0, stdout: "queues rebuilt: 1 groups, 3 entries\n" });
    expect((await run("queues", "check", ...scope)).code).toBe(0);

    const provider = w.provider.authorization.replace(/^Bearer /, "");
    const refused = await run("queues", "rebuild", "--token", provider, "--municipality", w.municipalityId);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^kruzhok: .+ \[AUTH\.FORBIDDEN_ROLE\]\n$/);
    expect((await run("queues", "check")).stderr).toBe("kruzhok: give --municipality <id or code> or --region <code>\n");
  });
});
