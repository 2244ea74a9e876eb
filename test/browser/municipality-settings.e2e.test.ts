import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { translator } from "../../services/portal/src/pages/texts";
import { certificateFinanced, certificateIssued, familyApplies, familyRegistered, familySigns, known, lessonsMarked, providerConfirms } from "../system/story";
import { DESKTOP, Person, PHONE, shows, signIn } from "./browser";
import { startPortalSystem, type PortalSystem } from "./portal-system";

// The municipality's year settings and attendance month in a real browser against the real
// services (issue #18). A child is enrolled and its first lesson marked through the story's
// steps; the provider then marks the child present on a day without a lesson, which raises a
// fraud signal, and the family disputes the first lesson's mark. The official signs in, sets the attendance rules — refused first for a word where
// a number goes (the portal's own check) and for a date in the past (attendance's rule), both
// beside their fields — then from today and again from the year's last day, and reads the
// history; tries to close a month that has not ended (refused), closes the month before, is
// refused a reopening without a reason, reopens it with one; resolves the family's dispute of a
// mark (refused first without saying what the mark is); and dismisses the signal with a reason
// after reading its evidence. Russian on a phone without JavaScript, the settings in
// Kazakh at desktop width; every page photographed and checked with axe-core, none wider than 360 px.

const MUNICIPALITY = "Городской округ Сюжетный";

let portal: PortalSystem;

beforeAll(async () => {
  portal = await startPortalSystem("portal-municipality-settings");
});
afterAll(async () => portal?.close());


const dayAfter = (date: string, days = 1) => new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
const monthBefore = (month: string) => new Date(Date.parse(`${month}-01T00:00:00Z`) - 86_400_000).toISOString().slice(0, 7);
const monthAfter = (month: string) => new Date(Date.parse(`${month}-28T00:00:00Z`) + 7 * 86_400_000).toISOString().slice(0, 7);

describe("the municipality's year settings and attendance month", () => {
  it("sets rules from a date and reads their history, closes and reopens a month, resolves a dispute and a signal", { timeout: 300_000 }, async () => {
    const { system, story, browser, baseURL } = portal;
    await familyRegistered(system, story);
    await certificateIssued(system, story);
    await familyApplies(system, story);
    await certificateFinanced(system, story);
    await providerConfirms(system, story);
    await familySigns(system, story);
    await lessonsMarked(system, story);
    // Attendance's today is now the day after the second lesson; the day after the first
    // (a Wednesday or a Friday) has no lesson: the child marked present there raises a signal.
    const [first] = known(story, "lessonDates");
    const outside = await system.services.attendance.call("PUT", `/groups/${known(story, "groupId")}/lessons/${dayAfter(first!)}T15:00`, {
      as: known(story, "provider"),
      body: { marks: [{ childId: known(story, "childId"), status: "present" }] },
    });
    expect(outside.status, outside.body).toBe(200);
    const month = known(story, "attendanceMonth");
    const year = Number(month.slice(0, 4));
    // The family disputes the first lesson's mark (the family's side, its own pages elsewhere).
    const childId = known(story, "childId");
    const marks = await system.services.attendance.call("GET", `/children/${childId}/marks?month=${month}`, { as: known(story, "guardian") });
    const firstMark = marks.json<{ lessonId: string; date: string }[]>().find((m) => m.date === first);
    const disputed = await system.services.attendance.call("POST", `/children/${childId}/mark-reviews`, {
      as: known(story, "guardian"),
      body: { marks: [{ lessonId: firstMark!.lessonId, decision: "dispute", note: "Ребёнок болел, на занятии не был" }] },
    });
    expect(disputed.status, disputed.body).toBe(200);

    const t = translator("ru");
    const official = await Person.open(browser, "msettings-ru", { size: PHONE, language: "ru", javaScript: false, baseURL });
    try {
      const { page } = official;
      await signIn(page, t, `${t("signIn.municipality")} (${MUNICIPALITY})`);

      // The year's settings: every part as its service holds it.
      await page.goto(`/municipality/settings?year=${year}`);
      await shows(page.getByRole("heading", { level: 1, name: t("msettings.title", { year }) }));
      await shows(page.getByText(t("msettings.rules.noHistory")));
      await official.look("settings");

      // A word where a number goes: refused by the page beside its field, nothing sent.
      const rules = page.getByRole("region", { name: t("msettings.rules.title") });
      const closingDay = rules.getByLabel(t("msettings.rules.closingWorkingDay"), { exact: true });
      await closingDay.fill("три");
      await rules.getByRole("button", { name: t("msettings.rules.save") }).click();
      await expect.poll(() => page.getByLabel(t("msettings.rules.closingWorkingDay"), { exact: true }).getAttribute("aria-invalid")).toBe("true");
      await shows(page.locator(".field.has-error").filter({ has: page.getByLabel(t("msettings.rules.closingWorkingDay"), { exact: true }) }).getByText(t("msettings.wholeNumber")));
      await official.look("settings-rules-refused");

      // A date in the past: attendance refuses it (rules are not changed back-dated), beside the date.
      await page.getByLabel(t("msettings.rules.closingWorkingDay"), { exact: true }).fill("3");
      await page.getByLabel(t("msettings.rules.effectiveFrom"), { exact: true }).fill(`${year}-01-01`);
      await page.getByRole("button", { name: t("msettings.rules.save") }).click();
      const effectiveFrom = page.getByLabel(t("msettings.rules.effectiveFrom"), { exact: true });
      await expect.poll(() => effectiveFrom.getAttribute("aria-invalid")).toBe("true");
      await expect.poll(() => page.locator(".field.has-error").filter({ has: effectiveFrom }).locator(".error").innerText()).toContain("задним числом");
      await shows(page.getByRole("alert").getByRole("link", { name: new RegExp(t("msettings.rules.effectiveFrom")) }));
      await official.look("settings-rules-retroactive");

      // Right: from today, then a second version from the year's last day; both in the history.
      await effectiveFrom.fill("");
      await page.getByLabel(t("msettings.rules.maxGroupsPerWeek"), { exact: true }).fill("5");
      await page.getByRole("button", { name: t("msettings.rules.save") }).click();
      await expect.poll(() => page.getByRole("status").innerText()).toBe(t("msettings.rules.done"));
      await page.getByLabel(t("msettings.rules.maxGroupsPerWeek"), { exact: true }).fill("6");
      await page.getByLabel(t("msettings.rules.effectiveFrom"), { exact: true }).fill(`${year}-12-31`);
      await page.getByRole("button", { name: t("msettings.rules.save") }).click();
      await expect.poll(() => page.getByRole("status").innerText()).toBe(t("msettings.rules.done"));
      const history = page.getByRole("list", { name: t("msettings.rules.history") }).getByRole("listitem");
      await expect.poll(() => history.count()).toBe(2);
      await expect.poll(() => history.first().innerText()).toContain(t("msettings.rules.from", { date: new Intl.DateTimeFormat("ru-RU", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" }).format(new Date(`${year}-12-31T00:00:00Z`)) }));
      await expect.poll(() => history.nth(1).innerText()).toContain(t("msettings.rules.inForce"));
      await expect.poll(() => page.getByLabel(t("msettings.rules.maxGroupsPerWeek"), { exact: true }).inputValue()).toBe("5");
      await official.look("settings-rules-history");
      // What attendance now holds: the version from today in force, the one from 31 December next.
      const kept = await system.services.attendance.call("GET", `/municipalities/${known(story, "municipalityId")}/years/${year}/rules/versions`, { as: known(story, "municipality") });
      expect(kept.json<{ versions: { effectiveFrom: string; inForce: boolean; rules: { maxGroupsPerWeek: number } }[] }>().versions.map((v) => [v.effectiveFrom.slice(5), v.inForce, v.rules.maxGroupsPerWeek])).toEqual([
        ["12-31", false, 6],
        [expect.any(String), true, 5],
      ]);

      // A month that has not ended does not close: refused beside the close button.
      const ahead = monthAfter(monthAfter(month));
      await page.goto(`/municipality/attendance?month=${ahead}`);
      await shows(page.getByRole("heading", { level: 1, name: t("mattendance.title") }));
      await page.getByRole("button", { name: t("mattendance.close") }).click();
      await shows(page.getByRole("alert"));
      await expect.poll(() => page.locator("p.error").first().innerText()).toContain("не закончился");
      await official.look("attendance-not-ended");

      // The month before the lessons' month has ended: closed, then reopened with a reason.
      const before = monthBefore(month);
      await page.goto(`/municipality/attendance?month=${before}`);
      await page.getByRole("button", { name: t("mattendance.close") }).click();
      await expect.poll(() => page.getByRole("status").innerText()).toBe(t("mattendance.done.closed"));
      await shows(page.getByText(t("mattendance.closed"), { exact: true }));
      await official.look("attendance-closed");
      await page.getByRole("button", { name: t("mattendance.reopen") }).click();
      const reason = page.getByLabel(t("mattendance.reopenReason"), { exact: true });
      await expect.poll(() => reason.getAttribute("aria-invalid")).toBe("true");
      await shows(page.locator(".field.has-error").filter({ has: reason }).getByText(t("mattendance.reasonRequired")));
      await reason.fill("Семья оспорила отметку за 12 число");
      await page.getByRole("button", { name: t("mattendance.reopen") }).click();
      await expect.poll(() => page.getByRole("status").innerText()).toBe(t("mattendance.done.reopened"));
      await shows(page.getByText("Семья оспорила отметку за 12 число"));
      await official.look("attendance-reopened");

      // The family's dispute in the lessons' month: refused without saying what the mark is, then resolved.
      await page.goto(`/municipality/attendance?month=${month}`);
      const dispute = page.getByRole("region", { name: t("mattendance.disputes") }).getByRole("listitem");
      await expect.poll(() => dispute.count()).toBe(1);
      await shows(dispute.getByText("Ребёнок болел, на занятии не был"));
      await official.look("attendance-dispute");
      await dispute.getByRole("button", { name: t("mattendance.resolveDispute") }).click();
      await shows(page.getByRole("region", { name: t("mattendance.disputes") }).getByText(t("mattendance.markRequired")).first());
      await official.look("attendance-dispute-refused");
      const again = page.getByRole("region", { name: t("mattendance.disputes") }).getByRole("listitem");
      await again.getByLabel(t("attendance.absent"), { exact: true }).check();
      await again.getByLabel(t("mattendance.resolutionNote"), { exact: true }).fill("По журналу группы отсутствовал");
      await again.getByRole("button", { name: t("mattendance.resolveDispute") }).click();
      await expect.poll(() => page.getByRole("status").innerText()).toBe(t("mattendance.done.disputeResolved"));
      await shows(page.getByText(t("mattendance.noDisputes")));
      const resolved = await system.services.attendance.call("GET", `/children/${childId}/marks?month=${month}`, { as: known(story, "guardian") });
      expect(resolved.json<{ lessonId: string; status: string; review: string }[]>().find((m) => m.lessonId === firstMark!.lessonId)).toMatchObject({ status: "absent", review: "resolved" });

      // The signal with its evidence: refused without a reason, then dismissed with one.
      const signal = page.getByRole("listitem").filter({ has: page.getByRole("heading", { name: t("signals.kind.outside_schedule") }) });
      await shows(signal);
      await shows(signal.getByText(t("mattendance.signalOpen")));
      await signal.getByLabel(t("mattendance.outcome.dismissed")).check();
      await signal.getByRole("button", { name: t("mattendance.resolve") }).click();
      const refused = page.getByRole("listitem").filter({ has: page.getByRole("heading", { name: t("signals.kind.outside_schedule") }) });
      await shows(refused.getByText(t("mattendance.reasonRequired")).first());
      await official.look("attendance-signal-refused");
      await refused.getByLabel(t("mattendance.signalReason"), { exact: true }).fill("Занятие перенесено приказом № 12");
      await refused.getByRole("button", { name: t("mattendance.resolve") }).click();
      await expect.poll(() => page.getByRole("status").innerText()).toBe(t("mattendance.done.resolved"));
      await shows(page.getByRole("listitem").filter({ has: page.getByRole("heading", { name: t("signals.kind.outside_schedule") }) }).getByText(t("signals.dismissed")));
      await official.look("attendance-signal-resolved");
    } finally {
      await official.close();
    }

    // In Kazakh at desktop width, with JavaScript: the settings page and the month.
    const kk = translator("kk");
    const kazakh = await Person.open(browser, "msettings-kk", { size: DESKTOP, language: "kk", javaScript: true, baseURL });
    try {
      const { page } = kazakh;
      await signIn(page, kk, `${kk("signIn.municipality")} (${MUNICIPALITY})`);
      await page.goto(`/municipality/settings?year=${year}`);
      await shows(page.getByRole("heading", { level: 1, name: kk("msettings.title", { year }) }));
      await shows(page.getByRole("heading", { name: kk("msettings.rules.history") }));
      await kazakh.look("settings");
      await page.goto(`/municipality/attendance?month=${monthBefore(month)}`);
      await shows(page.getByText(kk("mattendance.reopened"), { exact: true }));
      await kazakh.look("attendance");
    } finally {
      await kazakh.close();
    }
  });
});
