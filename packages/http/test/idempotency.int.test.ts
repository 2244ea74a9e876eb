import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isolate, waitFor, type Isolation } from "@kruzhok/testkit";
import { buildTestApp, guardian, type TestApp } from "./fixtures/app";

const municipalityId = randomUUID();
const child = (firstName: string) => ({
  municipalityId,
  child: { firstName, lastName: "Смирнова", birthDate: "2014-11-30" },
});

describe("Idempotency-Key on POST", () => {
  let iso: Isolation;
  let t: TestApp;
  let auth: { authorization: string };
  beforeAll(async () => {
    iso = await isolate("http-idempotency");
    t = await buildTestApp(iso);
    auth = { authorization: `Bearer ${await t.token(guardian(municipalityId))}` };
  });
  afterAll(async () => {
    await t.close();
    await iso.cleanup();
  });

  const register = (key: string, body: object, headers = auth) =>
    t.app.inject({ method: "POST", url: "/children", headers: { ...headers, "idempotency-key": key }, payload: body });

  it("replays the first response to a retry and runs the handler once", async () => {
    const key = randomUUID();
    const first = await register(key, child("Вера"));
    expect(first.statusCode).toBe(201);
    const retry = await register(key, child("Вера"));
    expect(retry.statusCode).toBe(201);
    expect(retry.body).toBe(first.body);
    expect(retry.headers["content-type"]).toBe(first.headers["content-type"]);
    expect(retry.headers["idempotent-replayed"]).toBe("true");
    expect(first.headers["idempotent-replayed"]).toBeUndefined();
    expect(await t.registeredChildren()).toBe(1);
  });

  it("answers 422 HTTP.IDEMPOTENCY_KEY_REUSED to the same key with another body, without running it", async () => {
    const key = randomUUID();
    expect((await register(key, child("Оля"))).statusCode).toBe(201);
    const before = await t.registeredChildren();
    const reused = await register(key, child("Маша"));
    expect(reused.statusCode).toBe(422);
    expect(reused.json()).toMatchObject({ code: "HTTP.IDEMPOTENCY_KEY_REUSED" });
    expect(await t.registeredChildren()).toBe(before);
  });

  it("scopes keys by subject: another user's same key runs their own request", async () => {
    const key = randomUUID();
    const mine = await register(key, child("Нина"));
    const otherAuth = { authorization: `Bearer ${await t.token(guardian(municipalityId))}` };
    const theirs = await register(key, child("Нина"), otherAuth);
    expect(theirs.statusCode).toBe(201);
    expect(theirs.headers["idempotent-replayed"]).toBeUndefined();
    expect(theirs.json<{ id: string }>().id).not.toBe(mine.json<{ id: string }>().id);
  });

  it("lets one of two concurrent duplicates run; the other gets 409 with Retry-After, then the replay", async () => {
    const before = await t.registeredChildren();
    const key = randomUUID();
    const send = () =>
      t.app.inject({
        method: "POST",
        url: "/transfers",
        headers: { ...auth, "idempotency-key": key },
        payload: { amount: 500 },
      });
    const first = send();
    // The first request holds the key while it waits at the gate.
    await waitFor(async () => {
      const held = await t.pool.query("SELECT 1 FROM idempotency_keys WHERE idempotency_key = $1 AND status IS NULL", [key]);
      return held.rowCount === 1 ? true : undefined;
    });
    const duplicate = await send();
    expect(duplicate.statusCode).toBe(409);
    expect(duplicate.json()).toMatchObject({ code: "HTTP.IDEMPOTENCY_IN_PROGRESS" });
    expect(duplicate.headers["retry-after"]).toBe("1");
    t.gate.open();
    expect((await first).statusCode).toBe(201);
    const retry = await send();
    expect(retry.headers["idempotent-replayed"]).toBe("true");
    expect(retry.json()).toEqual({ transferred: 500 });
    expect(await t.registeredChildren()).toBe(before + 1);
  });

  it("remembers a refusal (4xx) like any other response, with the request id of the first", async () => {
    const key = randomUUID();
    const elsewhere = { ...child("Даша"), municipalityId: randomUUID() };
    const first = await register(key, elsewhere);
    expect(first.statusCode).toBe(403);
    const retry = await register(key, elsewhere);
    expect(retry.statusCode).toBe(403);
    expect(retry.body).toBe(first.body);
    expect(retry.headers["content-type"]).toMatch(/^application\/problem\+json/);
  });

  it("forgets a 5xx so that a retry with the same key runs again", async () => {
    const key = randomUUID();
    const send = () =>
      t.app.inject({ method: "POST", url: "/flaky", headers: { ...auth, "idempotency-key": key }, payload: { note: "n" } });
    expect((await send()).statusCode).toBe(500);
    const retry = await send();
    expect(retry.statusCode).toBe(201);
    expect(retry.json()).toEqual({ attempt: 2 });
    expect((await send()).headers["idempotent-replayed"]).toBe("true");
  });

  it("treats an expired key as new", async () => {
    const key = randomUUID();
    expect((await register(key, child("Ира"))).statusCode).toBe(201);
    await t.pool.query("UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE idempotency_key = $1", [key]);
    const again = await register(key, child("Ира-2"));
    expect(again.statusCode).toBe(201);
    expect(again.headers["idempotent-replayed"]).toBeUndefined();
  });

  it("refuses a malformed key naming the header", async () => {
    const response = await register("has spaces in it", child("Лена"));
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      code: "HTTP.VALIDATION",
      invalidParams: [{ name: "headers.idempotency-key" }],
    });
  });

  it("keys rows by subject and expires them after 24 hours", async () => {
    const { rows } = await t.pool.query<{ hours: number; finished: boolean }>(
      `SELECT round(extract(epoch FROM expires_at - created_at) / 3600)::int AS hours, status IS NOT NULL AS finished
         FROM idempotency_keys`,
    );
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((row) => row.hours === 24 && row.finished)).toBe(true);
    const distinct = await t.pool.query("SELECT DISTINCT subject FROM idempotency_keys");
    expect(distinct.rowCount).toBe(2);
  });
});
