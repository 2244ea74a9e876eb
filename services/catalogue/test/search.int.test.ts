import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EnrollmentStarted } from "@kruzhok/contracts";
import { catalogueHarness, createGroup, createProgram, publish, world, type CatalogueHarness, type World } from "./fixtures/catalogue";

type Item = {
  id: string;
  title: string;
  provider: { id: string; name: string };
  price: { amount: number; currency: string };
  certificateCoverage: { rule: string; certificatePaysPerHour: number; familyCoPaymentPerHour: number | null } | null;
  certification: { number: string; expiry: string } | null;
  rating: { average: number | null; count: number };
  freeSeats: number;
  distanceMetres: number | null;
};
type Result = { items: Item[]; nextCursor: string | null; total: number; facets: { direction: Record<string, number>; fundingKind: Record<string, number> } };

describe("navigator search (public, no login)", () => {
  let h: CatalogueHarness;
  let w: World;
  const ids: Record<string, string> = {};

  const slots = (weekday: number, start: string, end: string) => ({ schedule: { timeZone: "Asia/Kamchatka", slots: [{ weekday, start, end }] } });
  // Petropavlovsk-Kamchatsky centre and places at known distances from it.
  const centre = { latitude: 53.0167, longitude: 158.65 };
  const at = (text: string, latitude: number, longitude: number) => ({ address: { text, latitude, longitude } });

  beforeAll(async () => {
    h = await catalogueHarness("cat-search");
    w = await world(h);
    const add = async (key: string, overrides: Record<string, unknown>, group: Record<string, unknown> | null, published = true) => {
      ids[key] = await createProgram(h, w, overrides);
      if (group) ids[`${key}Group`] = await createGroup(h, w, ids[key], group);
      if (published) await publish(h, w, ids[key]);
    };
    await add("robots", { title: "Робототехника для школьников", ageRange: { min: 8, max: 14 }, ...at("центр", centre.latitude, centre.longitude) }, slots(2, "15:00", "16:30"));
    await add("dombra", {
      title: "Домбыра үйірмесі",
      description: "Қазақтың ұлттық аспабында ойнауды үйрену, күйлер мен әндер.",
      direction: "arts",
      fundingKind: "free",
      certification: null,
      ageRange: { min: 7, max: 12 },
      ...at("5 км к северу", centre.latitude + 0.045, centre.longitude),
    }, slots(6, "10:00", "11:00"));
    await add("chess", {
      title: "Шахматы",
      description: "Шахматная школа для начинающих шахматистов.",
      direction: "physical_culture_and_sports",
      fundingKind: "paid",
      certification: null,
      ageRange: { min: 5, max: 17 },
      ...at("20 км к югу", centre.latitude - 0.18, centre.longitude),
    }, { ...slots(2, "18:00", "19:30"), capacity: 1 });
    await add("hidden", { title: "Робототехника: черновик" }, slots(2, "15:00", "16:30"), false);
    // The chess group's only seat is taken.
    const chessGroup = ids.chessGroup!;
    await h.deliver(EnrollmentStarted, { municipalityId: w.municipalityId, aggregateId: randomUUID() }, { enrollmentId: randomUUID(), groupId: chessGroup, programId: ids.chess!, childId: randomUUID() });
  });
  afterAll(async () => {
    await h.close();
  });

  const search = async (query: string): Promise<Result> => {
    const res = await h.app.inject({ method: "GET", url: `/search?municipalityId=${w.municipalityId}&${query}` });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<Result>();
  };
  const titles = (r: Result) => r.items.map((i) => i.title).sort();

  it("lists only published programs, with provider, price, certificate coverage, rating and free seats", async () => {
    const all = await search("");
    expect(titles(all)).toEqual(["Домбыра үйірмесі", "Робототехника для школьников", "Шахматы"]);
    const robots = all.items.find((i) => i.id === ids.robots)!;
    // 72 hours at 250 ₽ = 18,000 ₽ fits in the 15,000 ₽ nominal? No: the nominal spread over 72 hours is 208.33 ₽.
    expect(robots).toMatchObject({
      provider: { name: "АНО «Робототехника для всех»" },
      price: { amount: 25_000, currency: "RUB" },
      certificateCoverage: { rule: "nominal_over_program_hours", certificatePaysPerHour: 20_833, familyCoPaymentPerHour: 4_167 },
      // The badge and its last day, on every result of a certified program.
      certification: { number: "НОК-41-2026-017", expiry: "2027-01-15" },
      rating: { average: null, count: 0 },
      freeSeats: 12,
    });
    // No certificate money in a free or a paid program: no estimate, and no co-payment stated as fact.
    expect(all.items.find((i) => i.id === ids.dombra)?.certificateCoverage).toBeNull();
    expect(all.items.find((i) => i.id === ids.chess)).toMatchObject({ freeSeats: 0, certificateCoverage: null, certification: null });
    // The program's own page carries the same estimate as its search result.
    const page = await h.app.inject({ method: "GET", url: `/programs/${ids.robots}` });
    expect(page.statusCode, page.body).toBe(200);
    expect(page.json<{ certificateCoverage: unknown }>().certificateCoverage).toEqual(robots.certificateCoverage);
    expect((await h.app.inject({ method: "GET", url: `/programs/${ids.dombra}` })).json<{ certificateCoverage: unknown }>().certificateCoverage).toBeNull();
  });

  it("filters by direction, funding kind and the child's age, with facets counting as if their own filter were lifted", async () => {
    expect(titles(await search("direction=arts"))).toEqual(["Домбыра үйірмесі"]);
    expect(titles(await search("fundingKind=paid"))).toEqual(["Шахматы"]);
    expect(titles(await search("age=5"))).toEqual(["Шахматы"]);
    expect(titles(await search("age=13"))).toEqual(["Робототехника для школьников", "Шахматы"]);
    const arts = await search("direction=arts");
    expect(arts.total).toBe(1);
    expect(arts.facets.direction).toMatchObject({ technical: 1, arts: 1, physical_culture_and_sports: 1, natural_science: 0 });
    expect(arts.facets.fundingKind).toEqual({ financed: 0, free: 1, paid: 0 });
  });

  it("plans searches without parallel workers on every connection, the one that migrated included (0007)", async () => {
    // All of the pool's connections at once: the one that ran the migrations and new ones.
    const clients = await Promise.all(Array.from({ length: 5 }, () => h.pool.connect()));
    try {
      for (const client of clients) {
        const { rows } = await client.query<{ max_parallel_workers_per_gather: string }>("SHOW max_parallel_workers_per_gather");
        expect(rows[0]!.max_parallel_workers_per_gather).toBe("0");
      }
    } finally {
      for (const client of clients) client.release();
    }
  });

  it("filters by weekday and local time window, and by free seats", async () => {
    expect(titles(await search("weekday=2"))).toEqual(["Робототехника для школьников", "Шахматы"]);
    expect(titles(await search("weekday=2&from=14:00&to=17:00"))).toEqual(["Робототехника для школьников"]);
    expect(titles(await search("from=09:00&to=12:00"))).toEqual(["Домбыра үйірмесі"]);
    expect(titles(await search("freeSeats=true"))).toEqual(["Домбыра үйірмесі", "Робототехника для школьников"]);
  });

  it("finds Russian words by stem and Kazakh words by prefix", async () => {
    expect(titles(await search(`q=${encodeURIComponent("робототехнику")}`))).toEqual(["Робототехника для школьников"]);
    expect(titles(await search(`q=${encodeURIComponent("шахматист")}`))).toEqual(["Шахматы"]);
    expect(titles(await search(`q=${encodeURIComponent("үйірме")}`))).toEqual(["Домбыра үйірмесі"]);
    expect(titles(await search(`q=${encodeURIComponent("ұлттық ән")}`))).toEqual(["Домбыра үйірмесі"]);
    expect(titles(await search(`q=${encodeURIComponent("'&|!:*")}`))).toEqual(["Домбыра үйірмесі", "Робототехника для школьников", "Шахматы"]);
  });

  it("sorts by distance from a point and limits by radius", async () => {
    const near = await search(`lat=${centre.latitude}&lon=${centre.longitude}`);
    expect(near.items.map((i) => i.id)).toEqual([ids.robots, ids.dombra, ids.chess]);
    const [robots, dombra, chess] = near.items.map((i) => i.distanceMetres!);
    expect(robots).toBeLessThan(10);
    expect(dombra).toBeGreaterThan(4_900);
    expect(dombra).toBeLessThan(5_100);
    expect(chess).toBeGreaterThan(19_900);
    expect(chess).toBeLessThan(20_200);
    expect((await search(`lat=${centre.latitude}&lon=${centre.longitude}&radiusKm=10`)).items.map((i) => i.id)).toEqual([ids.robots, ids.dombra]);
  });

  it("pages with an opaque cursor in a stable order, in every ordering", async () => {
    for (const query of ["", `lat=${centre.latitude}&lon=${centre.longitude}`, `q=${encodeURIComponent("для")}`]) {
      const whole = (await search(query)).items.map((i) => i.id);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: Result = await search(`${query}&limit=1${cursor ? `&cursor=${cursor}` : ""}`);
        seen.push(...page.items.map((i) => i.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen, query).toEqual(whole);
    }
    const bad = await h.app.inject({ method: "GET", url: `/search?cursor=bm90LWEtY3Vyc29y` });
    expect(bad.json()).toMatchObject({ status: 422, code: "CATALOGUE.CURSOR_INVALID", invalidParams: [{ name: "query.cursor" }] });
  });

  it("refuses unknown and malformed filters with a problem document", async () => {
    const res = await h.app.inject({ method: "GET", url: "/search?age=3&weekday=9&direction=cooking&colour=red" });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ invalidParams: { name: string }[] }>().invalidParams.map((p) => p.name).sort()).toEqual(["query.age", "query.colour", "query.direction", "query.weekday"]);
  });
});
