import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProviderSuspended } from "@kruzhok/contracts";
import {
  approvedProvider,
  catalogueHarness,
  counts,
  createGroup,
  createProgram,
  groupBody,
  outboxEvents,
  programBody,
  publish,
  world,
  type CatalogueHarness,
  type World,
} from "./fixtures/catalogue";

type Problem = { code: string; status: number; invalidParams?: { name: string }[] };

describe("programs: content rules, ownership and lifecycle", () => {
  let h: CatalogueHarness;
  let w: World;
  beforeAll(async () => {
    h = await catalogueHarness("cat-programs");
    w = await world(h);
  });
  afterAll(async () => {
    await h.close();
  });

  const post = (payload: Record<string, unknown>, headers = w.provider) => h.app.inject({ method: "POST", url: "/programs", headers, payload });

  it("creates a draft under the provider's own id and municipality, hidden from families until published", async () => {
    const res = await post(programBody());
    expect(res.statusCode).toBe(201);
    const program = res.json<{ id: string; status: string; providerId: string; municipalityId: string; providerName: string }>();
    expect(program).toMatchObject({ status: "draft", providerId: w.providerId, municipalityId: w.municipalityId, providerName: "АНО «Робототехника для всех»" });
    expect((await h.app.inject({ method: "GET", url: `/programs/${program.id}` })).statusCode).toBe(404);
    expect((await h.app.inject({ method: "GET", url: `/programs/${program.id}`, headers: w.provider })).statusCode).toBe(200);
  });

  it("publishes and announces everything enrollment, attendance and payments need", async () => {
    const id = await createProgram(h, w);
    await publish(h, w, id);
    const event = (await outboxEvents(h.pool, "catalogue.program.published")).find((e) => e.aggregateId === id);
    expect(event?.municipalityId).toBe(w.municipalityId);
    expect(event?.data).toEqual({
      programId: id,
      providerId: w.providerId,
      title: "Робототехника и программирование",
      direction: "technical",
      ageRange: { min: 8, max: 14 },
      totalHours: 72,
      weeklyHours: 2,
      pricePerHour: 25_000,
      currency: "RUB",
      fundingKind: "financed",
      certification: { number: "НОК-41-2026-017", date: "2026-01-15", expiry: "2027-01-15" },
    });
    const shown = await h.app.inject({ method: "GET", url: `/programs/${id}` });
    expect(shown.json()).toMatchObject({ status: "published", rating: { average: null, count: 0 } });
    const again = await h.app.inject({ method: "POST", url: `/programs/${id}/publication`, headers: w.provider });
    expect(again.json<Problem>()).toMatchObject({ status: 409, code: "CATALOGUE.PROGRAM_TRANSITION" });
  });

  it("lets only approved providers publish: unknown ones cannot even draft, suspended ones cannot publish", async () => {
    const stranger = await h.as({ role: "provider", municipalityId: w.municipalityId, providerId: randomUUID() });
    const unknown = await post(programBody(), stranger);
    expect(unknown.json<Problem>()).toMatchObject({ status: 409, code: "CATALOGUE.PROVIDER_NOT_APPROVED" });

    const providerId = await approvedProvider(h, w.municipalityId, "ИП Петров");
    const headers = await h.as({ role: "provider", municipalityId: w.municipalityId, providerId });
    const draft = (await post(programBody(), headers)).json<{ id: string }>();
    await h.deliver(ProviderSuspended, { municipalityId: w.municipalityId, aggregateId: providerId }, { providerId, kind: "entrepreneur", name: "ИП Петров", reason: "other" });
    const res = await h.app.inject({ method: "POST", url: `/programs/${draft.id}/publication`, headers });
    expect(res.json<Problem>()).toMatchObject({ status: 409, code: "CATALOGUE.PROVIDER_NOT_APPROVED" });
    expect((await outboxEvents(h.pool, "catalogue.program.published")).map((e) => e.aggregateId)).not.toContain(draft.id);
  });

  it("refuses a financed program without a certification in force, naming body.certification, writing nothing", async () => {
    const before = await counts(h.pool);
    const missing = await post(programBody({ certification: null }));
    expect(missing.json<Problem>()).toMatchObject({ status: 422, code: "CATALOGUE.CERTIFICATION_REQUIRED", invalidParams: [{ name: "body.certification" }] });
    const expired = await post(programBody({ certification: { number: "НОК-1", date: "2024-01-01", expiry: "2026-08-31" } }));
    expect(expired.json<Problem>()).toMatchObject({ status: 422, code: "CATALOGUE.CERTIFICATION_EXPIRED", invalidParams: [{ name: "body.certification.expiry" }] });
    expect(await counts(h.pool)).toEqual(before);
    // Free and paid programs need none.
    expect((await post(programBody({ fundingKind: "paid", certification: null }))).statusCode).toBe(201);
  });

  it("refuses to publish a financed draft whose certification expired since it was written", async () => {
    const id = await createProgram(h, w, { certification: { number: "НОК-2", date: "2025-09-01", expiry: "2026-09-30" } });
    h.clock.set("2026-10-01T00:00:00Z"); // 12:00 on 1 October in Kamchatka
    try {
      const res = await h.app.inject({ method: "POST", url: `/programs/${id}/publication`, headers: w.provider });
      expect(res.json<Problem>()).toMatchObject({ status: 422, code: "CATALOGUE.CERTIFICATION_EXPIRED" });
    } finally {
      h.clock.set("2026-09-01T09:00:00Z");
    }
  });

  it("refuses bad input with problem documents and writes nothing", async () => {
    const before = await counts(h.pool);
    const inverted = await post(programBody({ ageRange: { min: 14, max: 8 } }));
    expect(inverted.json<Problem>()).toMatchObject({ status: 422, code: "CATALOGUE.AGE_RANGE_INVERTED", invalidParams: [{ name: "body.ageRange" }] });
    const outside = await post(programBody({ ageRange: { min: 4, max: 19 } }));
    expect(outside.statusCode).toBe(400);
    expect(outside.json<Problem>().invalidParams?.map((p) => p.name).sort()).toEqual(["body.ageRange.max", "body.ageRange.min"]);
    const fractional = await post(programBody({ price: { amount: 250.5, currency: "RUB" } }));
    expect(fractional.json<Problem>()).toMatchObject({ status: 400, code: "HTTP.VALIDATION", invalidParams: [{ name: "body.price.amount" }] });
    const negative = await post(programBody({ price: { amount: -100, currency: "RUB" } }));
    expect(negative.json<Problem>()).toMatchObject({ status: 400, invalidParams: [{ name: "body.price.amount" }] });
    const tenge = await post(programBody({ price: { amount: 100_000, currency: "KZT" } }));
    expect(tenge.json<Problem>()).toMatchObject({ status: 422, code: "CATALOGUE.CURRENCY_MISMATCH", invalidParams: [{ name: "body.price.currency" }] });
    const hours = await post(programBody({ totalHours: 10, weeklyHours: 12 }));
    expect(hours.json<Problem>()).toMatchObject({ status: 422, code: "CATALOGUE.HOURS_INCONSISTENT" });
    const unknownField = await post({ ...programBody(), colour: "red" });
    expect(unknownField.json<Problem>()).toMatchObject({ status: 400, invalidParams: [{ name: "body.colour" }] });
    expect(await counts(h.pool)).toEqual(before);
  });

  it("lets only the program's own provider edit it (403 otherwise), and announces edits of a published one", async () => {
    const id = await createProgram(h, w);
    await createGroup(h, w, id);
    await publish(h, w, id);
    const otherId = await approvedProvider(h, w.municipalityId, "МБУ ДО «Дом творчества»");
    const other = await h.as({ role: "provider", municipalityId: w.municipalityId, providerId: otherId });
    const before = await counts(h.pool);
    const foreign = await h.app.inject({ method: "PUT", url: `/programs/${id}`, headers: other, payload: programBody({ title: "Чужая программа" }) });
    expect(foreign.json<Problem>()).toMatchObject({ status: 403, code: "CATALOGUE.NOT_YOUR_PROGRAM" });
    const foreignGroup = await h.app.inject({ method: "POST", url: `/programs/${id}/groups`, headers: other, payload: groupBody() });
    expect(foreignGroup.json<Problem>()).toMatchObject({ status: 403, code: "CATALOGUE.NOT_YOUR_PROGRAM" });
    const operator = await h.as({ role: "operator", municipalityId: w.municipalityId });
    expect((await h.app.inject({ method: "POST", url: `/programs/${id}/withdrawal`, headers: operator })).statusCode).toBe(403);
    expect(await counts(h.pool)).toEqual(before);

    const res = await h.app.inject({ method: "PUT", url: `/programs/${id}`, headers: w.provider, payload: programBody({ price: { amount: 30_000, currency: "RUB" } }) });
    expect(res.statusCode).toBe(200);
    const updated = (await outboxEvents<{ pricePerHour: number }>(h.pool, "catalogue.program.updated")).find((e) => e.aggregateId === id);
    expect(updated?.data.pricePerHour).toBe(30_000);
    const groupUpdates = (await outboxEvents<{ programId: string; pricePerHour: number; reason: string }>(h.pool, "catalogue.group.updated")).filter((e) => e.data.programId === id);
    expect(groupUpdates.map((e) => [e.data.pricePerHour, e.data.reason])).toEqual([[30_000, "program_updated"]]);
  });

  it("withdraws a program: its groups close and both are announced; it leaves the navigator and takes no edits", async () => {
    const id = await createProgram(h, w);
    const groupId = await createGroup(h, w, id);
    await publish(h, w, id);
    const res = await h.app.inject({ method: "POST", url: `/programs/${id}/withdrawal`, headers: w.provider });
    expect(res.json()).toMatchObject({ status: "withdrawn" });
    expect((await outboxEvents(h.pool, "catalogue.program.withdrawn")).find((e) => e.aggregateId === id)?.data).toEqual({ programId: id, providerId: w.providerId });
    expect((await outboxEvents(h.pool, "catalogue.group.closed")).find((e) => e.aggregateId === groupId)?.data).toMatchObject({ reason: "program_withdrawn" });
    expect((await h.app.inject({ method: "GET", url: `/programs/${id}` })).statusCode).toBe(404);
    const edit = await h.app.inject({ method: "PUT", url: `/programs/${id}`, headers: w.provider, payload: programBody() });
    expect(edit.json<Problem>()).toMatchObject({ status: 409, code: "CATALOGUE.PROGRAM_WITHDRAWN" });
  });

  it("lists a provider's own programs in every status for it and its office, page by page; not another provider's", async () => {
    const mine = await world(h);
    const draft = await createProgram(h, mine, { title: "Черновик: хор" });
    const published = await createProgram(h, mine, { title: "Шахматы" });
    await publish(h, mine, published);
    const withdrawn = await createProgram(h, mine, { title: "Лепка" });
    await publish(h, mine, withdrawn);
    expect((await h.app.inject({ method: "POST", url: `/programs/${withdrawn}/withdrawal`, headers: mine.provider })).statusCode).toBe(200);
    const list = async (query: string, headers: Record<string, string>) => h.app.inject({ method: "GET", url: `/providers/${mine.providerId}/programs${query}`, headers });

    const all = await list("", mine.provider);
    expect(all.statusCode).toBe(200);
    // The harness's clock stands still, so the three ids share a millisecond: their order is the ids'.
    const byId = [
      [draft, "draft"],
      [published, "published"],
      [withdrawn, "withdrawn"],
    ].sort(([a], [b]) => (a! < b! ? -1 : 1));
    expect(all.json<{ items: { id: string; status: string }[] }>().items.map((p) => [p.id, p.status])).toEqual(byId);
    const drafts = await list("?status=draft", mine.provider);
    expect(drafts.json<{ items: { id: string }[] }>().items.map((p) => p.id)).toEqual([draft]);
    const first = (await list("?limit=2", mine.provider)).json<{ items: { id: string }[]; nextCursor: string | null }>();
    expect(first.items.map((p) => p.id)).toEqual([byId[0]![0], byId[1]![0]]);
    const second = (await list(`?limit=2&cursor=${first.nextCursor}`, mine.provider)).json<{ items: { id: string }[]; nextCursor: string | null }>();
    expect(second).toEqual({ items: [expect.objectContaining({ id: byId[2]![0] })], nextCursor: null });

    const office = await h.as({ role: "operator", municipalityId: mine.municipalityId });
    expect((await list("", office)).json<{ items: unknown[] }>().items).toHaveLength(3);
    const other = await world(h);
    const refused = await list("", other.provider);
    expect(refused.statusCode).toBe(403);
    expect(refused.json<Problem>().code).toBe("CATALOGUE.NOT_YOUR_PROGRAM");
    const family = await h.as({ role: "guardian", municipalityId: mine.municipalityId, guardianId: randomUUID() });
    expect((await list("", family)).json<Problem>().code).toBe("AUTH.FORBIDDEN_ROLE");
  });
});
