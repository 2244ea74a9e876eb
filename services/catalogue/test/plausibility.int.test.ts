import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { catalogueHarness, counts, createProgram, groupBody, programBody, world, type CatalogueHarness, type World } from "./fixtures/catalogue";

type Problem = { code: string; invalidParams?: { name: string; reason: string }[] };

// A program is named by words, and its dates are ones a record can have: a certification or a
// group's start typed with the wrong century is refused, naming the field, and nothing is written.
describe("programs and groups are named and dated plausibly", () => {
  let h: CatalogueHarness;
  let w: World;
  beforeAll(async () => {
    h = await catalogueHarness("cat-plausibility");
    w = await world(h);
  });
  afterAll(async () => {
    await h.close();
  });

  it("refuses a title or a teacher's name without letters, and stores a title as it shows (NFC, single spaces)", async () => {
    const before = await counts(h.pool);
    for (const [overrides, field] of [
      [{ title: "2026-2027 !!!" }, "body.title"],
      [{ teachers: [{ publicName: "— —", qualification: "педагог" }] }, "body.teachers.0.publicName"],
    ] as const) {
      const res = await h.app.inject({ method: "POST", url: "/programs", headers: w.provider, payload: programBody(overrides) });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json<Problem>().invalidParams?.map((p) => p.name)).toEqual([field]);
    }
    expect(await counts(h.pool)).toEqual(before);
    const res = await h.app.inject({ method: "POST", url: "/programs", headers: w.provider, payload: programBody({ title: "  Шахматы   для начинающих: е\u0308ж и ферзь " }) });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json<{ title: string }>().title).toBe("Шахматы для начинающих: ёж и ферзь");
  });

  it("refuses a certification dated more than five years ago, naming certification.date", async () => {
    const before = await counts(h.pool);
    for (const date of ["1900-01-15", "2021-08-31"]) {
      const res = await h.app.inject({ method: "POST", url: "/programs", headers: w.provider, payload: programBody({ certification: { number: "НОК-1", date, expiry: "2027-01-15" } }) });
      expect(res.statusCode, date).toBe(422);
      expect(res.json<Problem>()).toMatchObject({ code: "CATALOGUE.DATE_IMPLAUSIBLE", invalidParams: [{ name: "body.certification.date" }] });
    }
    expect(await counts(h.pool)).toEqual(before);
  });

  it("refuses a group starting in the distant past, on creation and on an edit", async () => {
    const programId = await createProgram(h, w);
    const before = await counts(h.pool);
    const created = await h.app.inject({ method: "POST", url: `/programs/${programId}/groups`, headers: w.provider, payload: groupBody({ startsOn: "1900-09-15", exceptions: [] }) });
    expect(created.statusCode, created.body).toBe(422);
    expect(created.json<Problem>()).toMatchObject({ code: "CATALOGUE.DATE_IMPLAUSIBLE", invalidParams: [{ name: "body.startsOn" }] });
    expect(await counts(h.pool)).toEqual(before);
    const ok = await h.app.inject({ method: "POST", url: `/programs/${programId}/groups`, headers: w.provider, payload: groupBody() });
    expect(ok.statusCode, ok.body).toBe(201);
    const edited = await h.app.inject({
      method: "PUT",
      url: `/groups/${ok.json<{ id: string }>().id}`,
      headers: w.provider,
      payload: groupBody({ startsOn: "1926-09-15", exceptions: [] }),
    });
    expect(edited.json<Problem>()).toMatchObject({ code: "CATALOGUE.DATE_IMPLAUSIBLE", invalidParams: [{ name: "body.startsOn" }] });
  });
});

describe("one age rule with the registry", () => {
  let h: CatalogueHarness;
  let w: World;
  beforeAll(async () => {
    h = await catalogueHarness("cat-age-rule");
    w = await world(h);
  });
  afterAll(async () => {
    await h.close();
  });

  it("takes ages 5 to 17 (the certificate's: the 5th birthday to the day before the 18th), refusing 18 in a program and in search", async () => {
    const before = await counts(h.pool);
    const eighteen = await h.app.inject({ method: "POST", url: "/programs", headers: w.provider, payload: programBody({ ageRange: { min: 14, max: 18 } }) });
    expect(eighteen.statusCode).toBe(400);
    expect(eighteen.json<Problem>().invalidParams).toEqual([expect.objectContaining({ name: "body.ageRange.max", reason: expect.stringMatching(/at most 17/) as unknown })]);
    expect(await counts(h.pool)).toEqual(before);
    expect((await h.app.inject({ method: "POST", url: "/programs", headers: w.provider, payload: programBody({ ageRange: { min: 14, max: 17 } }) })).statusCode).toBe(201);
    const search = await h.app.inject({ method: "GET", url: `/search?municipalityId=${w.municipalityId}&age=18` });
    expect(search.statusCode).toBe(400);
    expect(search.json<Problem>().invalidParams?.map((p) => p.name)).toEqual(["query.age"]);
  });
});
