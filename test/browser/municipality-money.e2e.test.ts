import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { translator } from "../../services/portal/src/pages/texts";
import { absencesNotified, certificateFinanced, certificateIssued, familyApplies, familyRegistered, familySigns, known, lessonsMarked, monthBilled, monthClosed, offsetTo, providerConfirms } from "../system/story";
import { DESKTOP, Person, PHONE, shows, signIn } from "./browser";
import { startPortalSystem, type PortalSystem } from "./portal-system";

// The municipality's money in a real browser against the real services (issue #18): one child's
// month is billed through the story's steps (the family applies, the certificate is financed, the
// provider confirms, the family signs, a lesson is marked and two absences notified, the month
// closes and payments bills it), then the municipality's official signs in, opens the provider's
// register, is refused a payment without the payment order's reference (beside the field),
// approves the register, records it paid with «ПП-000123», downloads it as CSV and XLSX,
// reconciles the provider's advance on the next month once that month's register is approved, and
// looks at the year's budget; the provider then sees its register paid (through
// payments until its page is fixed: see below). Russian on a phone without JavaScript; the
// register and the budget in Kazakh at desktop width with it. Every page is photographed and
// checked with axe-core, and none may be wider than a 360 px phone.

const MUNICIPALITY = "Городской округ Сюжетный";
const PROVIDER = "АНО ДО «Робототехника для всех»";
const PAYMENT_ORDER = "ПП-000123";

let portal: PortalSystem;

const monthAfter = (month: string) => new Date(Date.parse(`${month}-28T00:00:00Z`) + 7 * 86_400_000).toISOString().slice(0, 7);
/** The 2nd working day (Monday to Friday) of a month: the first day a provider may ask for an advance on it. */
function secondWorkingDay(month: string): string {
  let working = 0;
  for (let day = 1; ; day++) {
    const date = `${month}-${String(day).padStart(2, "0")}`;
    const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
    if (weekday !== 0 && weekday !== 6 && ++working === 2) return date;
  }
}

beforeAll(async () => {
  portal = await startPortalSystem("portal-money");
});
afterAll(async () => portal?.close());


describe("the municipality's money", () => {
  it("a municipality approves a register", { timeout: 300_000 }, async () => {
    const { system, story, browser, baseURL } = portal;
    // A billed month, as the story tells it: its steps keep the services' clocks in step with the lessons.
    await familyRegistered(system, story);
    await certificateIssued(system, story);
    await familyApplies(system, story);
    await certificateFinanced(system, story);
    await providerConfirms(system, story);
    await familySigns(system, story);
    await lessonsMarked(system, story);
    await absencesNotified(system, story);
    await monthClosed(system, story);
    await monthBilled(system, story);
    const month = known(story, "attendanceMonth");
    const registerId = known(story, "registerId");

    const t = translator("ru");
    const official = await Person.open(browser, "money-ru", { size: PHONE, language: "ru", javaScript: false, baseURL });
    try {
      const { page } = official;
      await signIn(page, t, `${t("signIn.municipality")} (${MUNICIPALITY})`);

      // The registers, with a month that is none refused beside its field.
      await page.goto("/municipality/registers?month=2026-13");
      await shows(page.getByRole("heading", { level: 1, name: t("money.registers.title") }));
      await shows(page.locator(".field.has-error").filter({ has: page.getByLabel(t("registers.month"), { exact: true }) }).getByText(t("money.registers.monthInvalid")));
      await official.look("registers-errors");
      await page.getByLabel(t("registers.month"), { exact: true }).fill(month);
      await page.getByRole("button", { name: t("money.registers.filter") }).click();
      const link = page.getByRole("link", { name: `${PROVIDER}: ${month}, № 1` });
      await shows(link);
      await official.look("registers");
      await link.click();

      // The register: its line, totals, downloads, and the payment refused without a reference.
      await shows(page.getByRole("heading", { level: 1, name: t("money.register.title", { number: 1, month }) }));
      const lines = page.getByRole("region", { name: t("money.register.lineItems") });
      await shows(lines.getByRole("rowheader", { name: `№ ${known(story, "enrollmentId").slice(0, 8)}` }));
      await expect.poll(() => lines.getByRole("row").last().innerText()).toMatch(/Итого\s+1\s+300,00\s₽\s+75,00\s₽/);
      await official.look("register");
      await page.getByRole("button", { name: t("money.register.pay") }).click();
      const reference = page.getByLabel(t("money.register.paymentOrder"), { exact: true });
      await expect.poll(() => reference.getAttribute("aria-invalid")).toBe("true");
      await shows(page.locator(".field.has-error").filter({ has: reference }).getByText(t("money.register.paymentOrderRequired")));
      await shows(page.getByRole("alert").getByRole("link", { name: t("money.register.paymentOrderRequired") }));
      await official.look("register-refused");

      // Approved, then paid with the payment order's reference.
      await page.getByRole("button", { name: t("money.register.approve") }).click();
      await shows(page.getByRole("status").getByText(t("money.register.approved")));
      await expect.poll(() => page.locator("dl.summary").innerText()).toContain(t("registers.status.approved"));
      expect(await page.getByRole("button", { name: t("money.register.approve") }).count()).toBe(0);
      await official.look("register-approved");
      await page.getByLabel(t("money.register.paymentOrder"), { exact: true }).fill(PAYMENT_ORDER);
      await page.getByRole("button", { name: t("money.register.pay") }).click();
      await shows(page.getByRole("status").getByText(t("money.register.paid")));
      await shows(page.getByText(t("money.register.paidWith", { order: PAYMENT_ORDER })));
      await expect.poll(() => page.locator("dl.summary").innerText()).toContain(t("registers.status.paid"));
      await official.look("register-paid");
      
      // The downloads: the CSV through the link as a person saves it, the XLSX's bytes and headers.
      const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: t("money.register.csv") }).click()]);
      expect(download.suggestedFilename()).toMatch(new RegExp(`^register-${month}-1-.+\\.csv$`));
      const csv = await readAll(await download.createReadStream());
      const [header, row] = csv.toString("utf8").trim().split("\n");
      expect(header).toBe("register,number,provider,month,status,payment_order,enrollment,certificate,lessons,certificate_amount,family_amount,currency");
      expect(row).toBe(`${registerId},1,${known(story, "providerId")},${month},paid,${PAYMENT_ORDER},${known(story, "enrollmentId")},${known(story, "certificateId")},1,30000,7500,RUB`);
      const xlsx = await page.request.get(`/municipality/registers/${registerId}/export?format=xlsx`);
      expect(xlsx.status()).toBe(200);
      expect(xlsx.headers()["content-type"]).toBe("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
      expect(xlsx.headers()["content-disposition"]).toMatch(new RegExp(`^attachment; filename="register-${month}-1-.+\\.xlsx"$`));
      const bytes = await xlsx.body();
      // A zip (an XLSX is one) whose sheet carries the payment order.
      expect(bytes.subarray(0, 4)).toEqual(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
      expect(bytes.length).toBeGreaterThan(3_000);
      const csvAnswer = await page.request.get(`/municipality/registers/${registerId}/export?format=csv`);
      expect(csvAnswer.headers()["content-type"]).toBe("text/csv; charset=utf-8");
      expect((await page.request.get(`/municipality/registers/${registerId}/export?format=pdf`)).status()).toBe(404);

      // Advances (none asked for in this story) and the budget of the month's year.
      await page.goto("/municipality/advances");
      await shows(page.getByText(t("money.advances.none")));
      await official.look("advances-none");

      // The provider asks for an advance on the next month on its 2nd working day (payments'
      // clock moved there); the official reconciles it once that month's register is approved.
      const next = monthAfter(month);
      const { payments } = system.services;
      await payments.kill();
      await payments.start({ CLOCK_OFFSET_DAYS: String(offsetTo(secondWorkingDay(next))) });
      const asked = await payments.call("POST", "/advances", { as: known(story, "provider"), body: { month: next, amount: 10_000 } });
      expect(asked.status, asked.body).toBe(201);
      const advanced = asked.json<{ id: string }>().id;
      await page.goto("/municipality/advances");
      const card = page.getByRole("listitem").filter({ has: page.getByRole("heading", { name: `${PROVIDER}: ${next}` }) });
      await expect.poll(() => card.innerText()).toContain(t("money.advances.state.formed"));
      expect(await card.getByRole("button", { name: t("money.advances.reconcile") }).count()).toBe(0);
      await official.look("advances-formed");
      await card.getByRole("link", { name: `${t("money.advances.register")}: № 1` }).click();
      await page.getByRole("button", { name: t("money.register.approve") }).click();
      await shows(page.getByRole("status").getByText(t("money.register.approved")));
      await page.goto("/municipality/advances");
      await card.getByRole("button", { name: t("money.advances.reconcile") }).click();
      await shows(page.getByRole("status").getByText(t("money.advances.reconciled")));
      // Nothing billed on the month yet: the whole advance is the provider's to return.
      await expect.poll(() => card.innerText()).toMatch(new RegExp(`${t("money.advances.overpaid")}\\s+100,00\\s₽`));
      await expect.poll(() => card.innerText()).toContain(t("money.advances.state.reconciled", { date: "" }).trim());
      expect(await card.getByRole("button", { name: t("money.advances.reconcile") }).count()).toBe(0);
      await official.look("advances-reconciled");
      const reconciled = await payments.call("GET", `/advance-reconciliations?municipalityId=${known(story, "municipalityId")}`, { as: known(story, "municipality") });
      expect(reconciled.json()).toEqual([expect.objectContaining({ registerId: advanced, advance: 10_000, billed: 0, rest: 0, excess: 10_000 })]);
      await page.goto(`/municipality/budget?year=${month.slice(0, 4)}`);
      await shows(page.getByRole("heading", { level: 1, name: t("money.budget.title") }));
      const figures = page.getByRole("region", { name: t("money.budget.figures") });
      await expect.poll(() => figures.innerText()).toMatch(new RegExp(`${t("money.budget.spent")}\\s+300,00\\s₽`));
      await shows(page.getByText(t("money.budget.certificates", { count: 1, cap: 100 })));
      await official.look("budget");
      await page.getByLabel(t("money.budget.year"), { exact: true }).fill("20x6");
      await page.getByRole("button", { name: t("money.budget.show") }).click();
      await shows(page.locator(".field.has-error").getByText(t("money.budget.yearInvalid")));
      await official.look("budget-errors");
    } finally {
      await official.close();
    }

    // The same register and the budget in Kazakh at desktop width, with JavaScript.
    const kk = translator("kk");
    const kazakh = await Person.open(browser, "money-kk", { size: DESKTOP, language: "kk", javaScript: true, baseURL });
    try {
      const { page } = kazakh;
      await signIn(page, kk, `${kk("signIn.municipality")} (${MUNICIPALITY})`);
      await page.goto(`/municipality/registers/${registerId}`);
      await shows(page.getByRole("heading", { level: 1, name: kk("money.register.title", { number: 1, month }) }));
      await shows(page.getByText(kk("money.register.paidWith", { order: PAYMENT_ORDER })));
      await kazakh.look("register-paid");
      await page.goto("/municipality/budget");
      await shows(page.getByRole("heading", { level: 1, name: kk("money.budget.title") }));
      await kazakh.look("budget");
    } finally {
      await kazakh.close();
    }

    // The provider sees its register paid on its own page.
    const provider = await Person.open(browser, "money-provider", { size: PHONE, language: "ru", javaScript: false, baseURL });
    try {
      const { page } = provider;
      await signIn(page, t, PROVIDER);
      await page.goto("/provider/registers");
      await expect.poll(() => page.getByRole("row").filter({ hasText: month }).innerText()).toContain(t("registers.status.paid"));
      await provider.look("provider-registers-paid");
    } finally {
      await provider.close();
    }
    const seen = await system.services.payments.call("GET", `/registers?municipalityId=${known(story, "municipalityId")}&month=${month}`, { as: known(story, "provider") });
    expect(seen.json<{ id: string; status: string; paymentOrder: string }[]>()).toEqual([expect.objectContaining({ id: registerId, status: "paid", paymentOrder: PAYMENT_ORDER })]);
  });
});

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}
