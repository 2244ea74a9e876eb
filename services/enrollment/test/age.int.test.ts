import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CertificateIssued } from "@kruzhok/contracts";
import { apply, enrollmentHarness, openGroup, world, type EnrollmentHarness, type World } from "./fixtures/enrollment";

describe("a program's age limits are checked on the child's real birth date", () => {
  let h: EnrollmentHarness;
  let w: World;
  beforeAll(async () => {
    h = await enrollmentHarness("enr-age");
    w = await world(h);
  });
  afterAll(async () => {
    await h.close();
  });

  const childBorn = async (birthDate: string) => {
    const childId = randomUUID();
    const certificateId = randomUUID();
    const guardianId = randomUUID();
    await h.deliver(CertificateIssued, { municipalityId: w.municipalityId, aggregateId: certificateId }, {
      certificateId, number: `41-${certificateId.slice(0, 8)}`, childId, birthYear: Number(birthDate.slice(0, 4)), birthDate, ageBand: "7-10", categories: [], funding: "accounting", guardianIds: [guardianId],
    });
    return { childId, guardian: await h.as({ role: "guardian", municipalityId: w.municipalityId, guardianId }) };
  };

  it("refuses a child who turns 7 the day after the group starts, which the birth year alone let through, and takes one who turns 7 on that day", async () => {
    h.clock.set("2026-09-01T09:00:00Z");
    // The program takes 7 to 14; the group starts on 15 September 2026.
    const { groupId } = await openGroup(h, w, { ageRange: { min: 7, max: 14 } });
    const young = await childBorn("2019-09-16");
    const refused = await apply(h, young.guardian, young.childId, groupId);
    expect(refused.json()).toMatchObject({ code: "ENROLLMENT.AGE_OUTSIDE_RANGE", invalidParams: [{ name: "body.groupId" }] });
    expect(refused.json<{ detail: string }>().detail).toContain("on 2026-09-15 the child is 6");
    const seven = await childBorn("2019-09-15");
    expect((await apply(h, seven.guardian, seven.childId, groupId)).statusCode).toBe(201);
  });
});
