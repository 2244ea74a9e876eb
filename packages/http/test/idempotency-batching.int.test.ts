import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isolate, type Isolation } from "@kruzhok/testkit";
import { buildTestApp, guardian, type TestApp } from "./fixtures/app";

// Claims and responses of concurrent requests share statements (IdempotencyWriter): requests
// sent together here land in the same batches.
describe("Idempotency-Key under concurrent requests", () => {
  let iso: Isolation;
  let t: TestApp;
  let auth: { authorization: string };
  beforeAll(async () => {
    iso = await isolate("http-idempotency-batching");
    t = await buildTestApp(iso);
    auth = { authorization: `Bearer ${await t.token(guardian(randomUUID()))}` };
  });
  afterAll(async () => {
    await t.close();
    await iso.cleanup();
  });

  const note = (key: string, text: string) =>
    t.app.inject({ method: "POST", url: "/notes", headers: { ...auth, "idempotency-key": key }, payload: { text } });
  const notesWritten = async () =>
    (await t.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM children_registered WHERE registered_by = 'note'")).rows[0]!.n;

  it("runs the handler once for duplicates sent together; the others get 409 or the first response", async () => {
    const before = await notesWritten();
    const key = randomUUID();
    const responses = await Promise.all(Array.from({ length: 8 }, () => note(key, "together")));

    const firsts = responses.filter((r) => r.statusCode === 201 && r.headers["idempotent-replayed"] === undefined);
    expect(firsts).toHaveLength(1);
    for (const response of responses) {
      if (response === firsts[0]) continue;
      if (response.statusCode === 409) expect(response.json()).toMatchObject({ code: "HTTP.IDEMPOTENCY_IN_PROGRESS" });
      else expect({ status: response.statusCode, replayed: response.headers["idempotent-replayed"], body: response.body }).toEqual({ status: 201, replayed: "true", body: "together" });
    }
    expect(await notesWritten()).toBe(before + 1);
    const retry = await note(key, "together");
    expect({ status: retry.statusCode, replayed: retry.headers["idempotent-replayed"], body: retry.body }).toEqual({ status: 201, replayed: "true", body: "together" });
  });

  it("gives each of many keys sent together its own run, and each retry its own first response", async () => {
    const before = await notesWritten();
    const keys = Array.from({ length: 20 }, (_, i) => ({ key: randomUUID(), text: `note ${i}` }));
    const firsts = await Promise.all(keys.map(({ key, text }) => note(key, text)));
    expect(firsts.map((r) => [r.statusCode, r.body, r.headers["idempotent-replayed"]])).toEqual(keys.map(({ text }) => [201, text, undefined]));
    expect(await notesWritten()).toBe(before + 20);

    const retries = await Promise.all(keys.map(({ key, text }) => note(key, text)));
    expect(retries.map((r) => [r.statusCode, r.body, r.headers["idempotent-replayed"]])).toEqual(keys.map(({ text }) => [201, text, "true"]));
    const reused = await Promise.all(keys.slice(0, 3).map(({ key }) => note(key, "another body")));
    expect(reused.map((r) => r.statusCode)).toEqual([422, 422, 422]);
    expect(await notesWritten()).toBe(before + 20);
  });

  it("a response that cannot be stored fails only its own key, not the others recorded with it", async () => {
    const before = await notesWritten();
    const good = Array.from({ length: 4 }, (_, i) => ({ key: randomUUID(), text: `fine ${i}` }));
    const bad = { key: randomUUID(), text: "nul \\0 inside" };
    const sent = [...good.slice(0, 2), bad, ...good.slice(2)];
    const firsts = await Promise.all(sent.map(({ key, text }) => note(key, text)));
    // Every caller got its answer: the effect happened whether or not the answer was recorded.
    expect(firsts.map((r) => [r.statusCode, r.body])).toEqual(sent.map(({ text }) => [201, text.replaceAll("\\0", "\u0000")]));
    expect(await notesWritten()).toBe(before + 5);

    const retries = await Promise.all(good.map(({ key, text }) => note(key, text)));
    expect(retries.map((r) => [r.statusCode, r.body, r.headers["idempotent-replayed"]])).toEqual(good.map(({ text }) => [201, text, "true"]));
    // The unrecorded key stays unfinished until its lease ends: a retry meanwhile runs nothing twice.
    const badRetry = await note(bad.key, bad.text);
    expect(badRetry.statusCode).toBe(409);
    expect(await notesWritten()).toBe(before + 5);
    expect(t.logs.some((line) => line.includes("recording the idempotent response failed"))).toBe(true);
  });
});
