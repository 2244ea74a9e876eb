import { describe, expect, it } from "vitest";
import { instantOfLocal, localInputOf } from "../src/http/municipality-campaigns";

// The campaign form's window is typed on the municipality's wall clock and sent as an instant:
// the two conversions must agree, also where the zone's offset changes, and refuse what is no time.
describe("a campaign window's local times", () => {
  it("reads a wall-clock time in the municipality's zone as the instant it names, and back", () => {
    expect(instantOfLocal("2026-12-05T18:00", "Europe/Moscow")?.toISOString()).toBe("2026-12-05T15:00:00.000Z");
    expect(instantOfLocal("2026-12-05T00:30:15", "Asia/Kamchatka")?.toISOString()).toBe("2026-12-04T12:30:15.000Z");
    expect(localInputOf(new Date("2026-12-04T12:30:15Z"), "Asia/Kamchatka")).toBe("2026-12-05T00:30:15");
    expect(localInputOf(new Date("2026-12-05T15:00:00Z"), "Europe/Moscow")).toBe("2026-12-05T18:00:00");
  });

  it("settles the offset on either side of a change of it", () => {
    // Berlin moves from +01:00 to +02:00 on 29 March 2026 at 02:00 local time.
    expect(instantOfLocal("2026-03-29T01:30", "Europe/Berlin")?.toISOString()).toBe("2026-03-29T00:30:00.000Z");
    expect(instantOfLocal("2026-03-29T12:00", "Europe/Berlin")?.toISOString()).toBe("2026-03-29T10:00:00.000Z");
  });

  it("refuses what is no date and time", () => {
    for (const text of ["", "завтра", "2026-02-30T10:00", "2026-12-05T24:00", "2026-12-05 18:00", "2026-12-05T18:61"]) {
      expect(instantOfLocal(text, "Europe/Moscow"), text).toBeUndefined();
    }
  });
});
