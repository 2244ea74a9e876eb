import { describe, expect, it } from "vitest";
import { PermanentError } from "@kruzhok/errors";
import { chooseLocale, parseNotification, renderNotification } from "../src";
import { applicationRefused, applicationRefusedV1, campaignResult, categoryEnding, certificateEnding, seatPassed, enrollmentEnded, offerExpiring, offerMade, positionApproaching } from "./events";

const render = (event: Parameters<typeof parseNotification>[0], preferred: "ru" | "kk" | null = null) =>
  renderNotification(parseNotification(event), preferred);

describe("choosing the language", () => {
  it("given no explicit choice, writes Kazakh where the municipality pays in tenge and Russian where in roubles", () => {
    expect(chooseLocale([null, null], "KZT")).toBe("kk");
    expect(chooseLocale([null, undefined], "RUB")).toBe("ru");
  });
  it("given the guardian's choice, it wins over the event's, which wins over the currency", () => {
    expect(chooseLocale(["ru", "kk"], "KZT")).toBe("ru");
    expect(chooseLocale([null, "kk"], "RUB")).toBe("kk");
    expect(render(offerMade({ currency: "KZT" }), "ru").locale).toBe("ru");
    expect(render(offerMade({ currency: "RUB", locale: "kk" })).locale).toBe("kk");
  });
});

describe("message texts", () => {
  it("given an offer in Kamchatka, states the deadline in Kamchatka time (23:59 local, not 11:59 UTC)", () => {
    const ru = render(offerMade({ deadline: "2026-09-07T11:59:59.999Z" }));
    expect(ru.subject).toContain("Робототехника для начинающих");
    expect(ru.text).toContain("7 сентября 2026 г. в 23:59");
    expect(ru.text).not.toContain("11:59");
    const kk = render(offerMade({ currency: "KZT", timeZone: "Asia/Almaty", deadline: "2026-09-07T18:59:59.999Z" }));
    expect(kk.locale).toBe("kk");
    expect(kk.text).toContain("қыркүйек");
    expect(kk.text).toContain("23:59");
    expect(kk.text).toContain("Сәлеметсіз бе!");
  });

  it("gives every notification a subject and a text in both languages, naming the program and no person", () => {
    for (const make of [offerMade, offerExpiring, positionApproaching, applicationRefused, enrollmentEnded]) {
      for (const currency of ["RUB", "KZT"] as const) {
        const event = make({ currency });
        const { subject, text, locale } = render(event);
        expect(locale).toBe(currency === "KZT" ? "kk" : "ru");
        expect(subject).toContain("«Робототехника для начинающих»");
        expect(text).toContain("Робототехника для начинающих");
        expect(text).toContain(locale === "ru" ? "Кружок" : "жүйесінің");
        // Ids are for machines: a family's message carries none.
        expect(text).not.toContain(event.data.guardianId);
        expect(text).not.toContain(event.data.childId);
      }
    }
  });

  it("says the place in the queue, why an application was refused with the provider's words, and how an enrollment ended", () => {
    expect(render(positionApproaching()).text).toContain("на 3-м месте в очереди");
    expect(render(positionApproaching({ currency: "KZT" })).text).toContain("3-орында");
    const refused = render(applicationRefused({ reason: "ENROLLMENT.FINANCING_REFUSED" }));
    expect(refused.text).toContain("сертификат финансирования");
    const withComment = render(applicationRefusedV1({ comment: "группа укомплектована" }));
    expect(withComment.text).toContain("организация отклонила заявление");
    expect(withComment.text).toContain("Комментарий организации: группа укомплектована");
    // Version 2 carries no words: the notice points the family to its application.
    const explained = render(applicationRefused({ explained: true }));
    expect(explained.text).toContain("Организация объяснила причину: она в вашем заявлении в личном кабинете.");
    expect(render(applicationRefused({ explained: true, currency: "KZT" })).text).toContain("жеке кабинеттегі өтінішіңізде");
    expect(refused.text).not.toContain("Организация объяснила");
    // A code this version does not know still gives a correct, general sentence.
    expect(render(applicationRefused({ reason: "ENROLLMENT.SOMETHING_NEW" })).text).toContain("отклонено.");
    expect(render(enrollmentEnded({ reason: "expelled" })).text).toContain("31 мая 2027 г.; договор расторгнут");
    expect(render(enrollmentEnded({ reason: "withdrawn", currency: "KZT" })).text).toContain("отбасының өтініші бойынша");
  });

  it("tells a campaign's result: the program won and the choice's rank, or the queues joined, in both languages", () => {
    const won = render(campaignResult());
    expect(won.subject).toContain("«Осенний набор»");
    expect(won.text).toContain("«Робототехника для начинающих» (ваш выбор № 2, номер в жеребьёвке 17)");
    expect(render(campaignResult({ currency: "KZT" })).text).toContain("№ 2 таңдауыңыз");
    const waiting = render(campaignResult({ outcome: "waitlisted" }));
    expect(waiting.text).toContain("поставлен в очередь в 3 из выбранных групп");
    expect(render(campaignResult({ outcome: "waitlisted", currency: "KZT" })).text).toContain("3-інің кезегіне");
    for (const event of [campaignResult(), campaignResult({ outcome: "waitlisted" })]) {
      expect(render(event).text).not.toContain(event.data.guardianId);
      expect(render(event).text).not.toContain(event.data.childId);
    }
  });

  it("tells a category's end by its human name and last day, in both languages, and names an unknown code as listed", () => {
    const ru = render(categoryEnding());
    expect(ru.subject).toBe("Кружок: льготная категория «малоимущая семья» действует до 4 октября 2026 г.");
    expect(ru.text).toContain("действует по 4 октября 2026 г. включительно");
    const kk = render(categoryEnding({ currency: "KZT", code: "large_family" }));
    expect(kk.text).toContain("«көп балалы отбасы» санатын растайтын құжат 2026 ж. 4 қазан қоса алғанда жарамды");
    expect(render(categoryEnding({ code: "svo" })).text).toContain("«svo»");
    expect(ru.text).not.toMatch(/low_income/);
  });

  it("tells a family whose certificate waits for financing that the seat went on, why, and that its place is kept", () => {
    const ru = render(seatPassed());
    expect(ru.subject).toContain("«Робототехника для начинающих»");
    expect(ru.text).toContain("ждёт финансирования");
    expect(ru.text).toContain("сохраняет своё место в очереди");
    expect(render(seatPassed({ currency: "KZT" })).text).toContain("кезектегі орнын сақтайды");
  });

  it("tells the family a month before the 18th birthday that the certificate closes that day, in both languages", () => {
    expect(render(certificateEnding()).subject).toBe("Кружок: сертификат ребёнка закроется 4 октября 2026 г.");
    expect(render(certificateEnding({ currency: "KZT" })).text).toContain("2026 ж. 4 қазан балаңызға 18 жас толады");
  });
});

describe("parsing a notification", () => {
  it("refuses, as permanent, an event of another type or one that breaks its contract", () => {
    const event = offerMade();
    expect(() => parseNotification({ ...event, type: "enrollment.offer.made" })).toThrow(PermanentError);
    expect(() => parseNotification({ ...event, data: { ...event.data, deadline: "tomorrow" } })).toThrow(PermanentError);
    expect(() => parseNotification({ ...event, version: 2 })).toThrow(PermanentError);
  });
});
