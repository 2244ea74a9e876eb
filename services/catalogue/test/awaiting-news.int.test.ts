import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProviderApproved } from "@kruzhok/contracts";
import { catalogueHarness, programBody, world, type CatalogueHarness, type World } from "./fixtures/catalogue";

// The catalogue's equivalent of enrollment's unknown group: a provider the registry approved a
// moment ago whose approval has not reached the catalogue. Its refusal is not recorded under the
// Idempotency-Key, so the retry with the same key creates the program once the news is in.
describe("Idempotency-Key and a provider whose approval has not arrived yet", () => {
  let h: CatalogueHarness;
  let w: World;
  beforeAll(async () => {
    h = await catalogueHarness("cat-awaiting-news");
    w = await world(h);
  });
  afterAll(async () => {
    await h.close();
  });

  it("refuses the program while the approval is on its way, and creates it on the retry with the same key once it arrived", async () => {
    const providerId = randomUUID();
    const provider = await h.as({ role: "provider", municipalityId: w.municipalityId, providerId });
    const key = randomUUID();
    const post = () => h.app.inject({ method: "POST", url: "/programs", headers: { ...provider, "idempotency-key": key }, payload: programBody() });
    const early = await post();
    expect(early.statusCode, early.body).toBe(409);
    expect(early.json()).toMatchObject({ code: "CATALOGUE.PROVIDER_NOT_APPROVED" });

    await h.deliver(ProviderApproved, { municipalityId: w.municipalityId, aggregateId: providerId }, { providerId, kind: "private", name: "ИП Петров" });
    const retried = await post();
    expect(retried.statusCode, retried.body).toBe(201);
    const again = await post();
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(again.json()).toEqual(retried.json());
  });
});
