import { categoryName } from "@kruzhok/i18n";
import type { Currency, NotificationLocale } from "@kruzhok/contracts";
import type { NotificationEvent } from "./channel";

/**
 * Message texts in Russian and Kazakh. The language is the guardian's choice when known, else
 * the event's, else the municipality's currency decides: tenge means Kazakhstan, so Kazakh;
 * everything else Russian. Instants are written in the municipality's zone, because that is the
 * clock the family lives by and the one deadlines are computed in.
 */

export function chooseLocale(explicit: (NotificationLocale | null | undefined)[], currency: Currency): NotificationLocale {
  for (const locale of explicit) if (locale) return locale;
  switch (currency) {
    case "KZT":
      return "kk";
    case "RUB":
      return "ru";
    default: {
      const never: never = currency;
      return never;
    }
  }
}

export interface RenderedText {
  locale: NotificationLocale;
  subject: string;
  text: string;
}

const intlLocale: Record<NotificationLocale, string> = { ru: "ru-RU", kk: "kk-KZ" };

function formatInstant(iso: string, timeZone: string, locale: NotificationLocale): string {
  return new Intl.DateTimeFormat(intlLocale[locale], { timeZone, dateStyle: "long", timeStyle: "short" }).format(new Date(iso));
}

/** A calendar date has no zone: format it as the date it names. */
function formatDate(date: string, locale: NotificationLocale): string {
  return new Intl.DateTimeFormat(intlLocale[locale], { timeZone: "UTC", day: "numeric", month: "long", year: "numeric" }).format(
    new Date(`${date}T00:00:00Z`),
  );
}

/** Refusal codes a family can act on, in both languages; any other code gets the general sentence. */
const refusalReasons: Record<string, Record<NotificationLocale, string>> = {
  "ENROLLMENT.REJECTED_BY_PROVIDER": { ru: "организация отклонила заявление", kk: "ұйым өтінішті қабылдамады" },
  "ENROLLMENT.FINANCING_REFUSED": {
    ru: "сертификат не удалось перевести в сертификат финансирования",
    kk: "сертификатты қаржыландыру сертификатына ауыстыру мүмкін болмады",
  },
  "ENROLLMENT.CERTIFICATE_MISSING": { ru: "у ребёнка нет сертификата", kk: "баланың сертификаты жоқ" },
  "ENROLLMENT.CERTIFICATE_SUSPENDED": { ru: "действие сертификата приостановлено", kk: "сертификаттың қолданылуы тоқтатылды" },
  "ENROLLMENT.CERTIFICATE_CLOSED": { ru: "сертификат закрыт", kk: "сертификат жабылды" },
  "ENROLLMENT.CERTIFICATE_OTHER_MUNICIPALITY": { ru: "сертификат выдан в другом муниципалитете", kk: "сертификат басқа муниципалитетте берілген" },
  "ENROLLMENT.AGE_OUTSIDE_RANGE": { ru: "возраст ребёнка не подходит для программы", kk: "баланың жасы бағдарламаға сәйкес келмейді" },
  "ENROLLMENT.ALREADY_ENROLLED_IN_PROGRAM": { ru: "ребёнок уже занимается по этой программе", kk: "бала осы бағдарлама бойынша оқып жүр" },
  "ENROLLMENT.ALREADY_APPLYING_TO_PROGRAM": { ru: "заявление на эту программу уже подано", kk: "бұл бағдарламаға өтініш бұрын берілген" },
  "ENROLLMENT.TOO_MANY_OPEN_APPLICATIONS": {
    ru: "превышено число одновременно открытых заявлений",
    kk: "бір мезгілде ашық өтініштер саны шектен асты",
  },
  "ENROLLMENT.SCHEDULE_CLASH": {
    ru: "расписание пересекается с другими занятиями ребёнка",
    kk: "кесте баланың басқа сабақтарымен қабаттасады",
  },
  "ENROLLMENT.GROUP_NOT_ACCEPTING": { ru: "группа больше не принимает заявления", kk: "топ енді өтініш қабылдамайды" },
};

const signature: Record<NotificationLocale, string> = {
  ru: "Это автоматическое сообщение системы «Кружок». Подробности — в личном кабинете.",
  kk: "Бұл «Кружок» жүйесінің автоматты хабарламасы. Толығырақ — жеке кабинетте.",
};

/** Subject and text of a notification in the chosen language. */
export function renderNotification(event: NotificationEvent, preferred: NotificationLocale | null): RenderedText {
  const locale = chooseLocale([preferred, event.data.locale], event.data.currency);
  const ru = locale === "ru";
  const { subject, body } = ((): { subject: string; body: string[] } => {
    switch (event.type) {
      case "enrollment.notification.offer-made": {
        const { programTitle, deadline, timeZone } = event.data;
        const when = formatInstant(deadline, timeZone, locale);
        return ru
          ? {
              subject: `Кружок: для ребёнка есть место — «${programTitle}»`,
              body: [
                "Здравствуйте!",
                `Для вашего ребёнка освободилось место в программе «${programTitle}».`,
                `Примите предложение до ${when} по местному времени, иначе место перейдёт следующему в очереди.`,
              ],
            }
          : {
              subject: `Кружок: балаңызға орын бар — «${programTitle}»`,
              body: [
                "Сәлеметсіз бе!",
                `«${programTitle}» бағдарламасында балаңызға орын босады.`,
                `Ұсынысты жергілікті уақыт бойынша ${when} дейін қабылдаңыз, әйтпесе орын кезектегі келесі балаға беріледі.`,
              ],
            };
      }
      case "enrollment.notification.offer-expiring": {
        const { programTitle, deadline, timeZone } = event.data;
        const when = formatInstant(deadline, timeZone, locale);
        return ru
          ? {
              subject: `Кружок: предложение места скоро истечёт — «${programTitle}»`,
              body: [
                "Здравствуйте!",
                `Предложение места в программе «${programTitle}» действует до ${when} по местному времени.`,
                "Если не принять его до этого срока, место перейдёт следующему в очереди.",
              ],
            }
          : {
              subject: `Кружок: орын ұсынысының мерзімі аяқталуға жақын — «${programTitle}»`,
              body: [
                "Сәлеметсіз бе!",
                `«${programTitle}» бағдарламасындағы орын ұсынысы жергілікті уақыт бойынша ${when} дейін жарамды.`,
                "Осы мерзімге дейін қабылдамасаңыз, орын кезектегі келесі балаға беріледі.",
              ],
            };
      }
      case "enrollment.notification.position-approaching": {
        const { programTitle, position } = event.data;
        return ru
          ? {
              subject: `Кружок: очередь подходит — «${programTitle}»`,
              body: [
                "Здравствуйте!",
                `Ваш ребёнок на ${position}-м месте в очереди в программу «${programTitle}».`,
                "Когда освободится место, вы получите предложение: следите за сообщениями.",
              ],
            }
          : {
              subject: `Кружок: кезек жақындап қалды — «${programTitle}»`,
              body: [
                "Сәлеметсіз бе!",
                `Балаңыз «${programTitle}» бағдарламасының кезегінде ${position}-орында тұр.`,
                "Орын босағанда сізге ұсыныс келеді: хабарламаларды қадағалаңыз.",
              ],
            };
      }
      case "enrollment.notification.application-refused": {
        const { programTitle, reason } = event.data;
        // v1 carried the provider's words; v2 says only whether there are any (they stay in enrollment).
        const comment = "comment" in event.data ? event.data.comment : null;
        const explained = "explained" in event.data && event.data.explained;
        const why = refusalReasons[reason]?.[locale];
        const lines = ru
          ? [
              "Здравствуйте!",
              why ? `Заявление на программу «${programTitle}» отклонено: ${why}.` : `Заявление на программу «${programTitle}» отклонено.`,
            ]
          : [
              "Сәлеметсіз бе!",
              why ? `«${programTitle}» бағдарламасына берілген өтініш қабылданбады: ${why}.` : `«${programTitle}» бағдарламасына берілген өтініш қабылданбады.`,
            ];
        if (comment) lines.push(ru ? `Комментарий организации: ${comment}` : `Ұйымның түсініктемесі: ${comment}`);
        if (explained) {
          lines.push(ru ? "Организация объяснила причину: она в вашем заявлении в личном кабинете." : "Ұйым себебін түсіндірді: ол жеке кабинеттегі өтінішіңізде.");
        }
        return { subject: ru ? `Кружок: заявление отклонено — «${programTitle}»` : `Кружок: өтініш қабылданбады — «${programTitle}»`, body: lines };
      }
      case "enrollment.notification.enrollment-ended": {
        const { programTitle, reason, endedOn } = event.data;
        const date = formatDate(endedOn, locale);
        const sentence = ((): string => {
          switch (reason) {
            case "completed":
              return ru
                ? `Ваш ребёнок завершил обучение по программе «${programTitle}» ${date}.`
                : `Балаңыз «${programTitle}» бағдарламасы бойынша оқуды ${date} аяқтады.`;
            case "withdrawn":
              return ru
                ? `Обучение по программе «${programTitle}» прекращено по заявлению семьи ${date}.`
                : `«${programTitle}» бағдарламасы бойынша оқу отбасының өтініші бойынша ${date} тоқтатылды.`;
            case "expelled":
              return ru
                ? `Организация отчислила ребёнка с программы «${programTitle}» ${date}; договор расторгнут.`
                : `Ұйым баланы «${programTitle}» бағдарламасынан ${date} шығарды; шарт бұзылды.`;
            default: {
              const never: never = reason;
              return never;
            }
          }
        })();
        return {
          subject: ru ? `Кружок: обучение по программе завершено — «${programTitle}»` : `Кружок: бағдарлама бойынша оқу аяқталды — «${programTitle}»`,
          body: [ru ? "Здравствуйте!" : "Сәлеметсіз бе!", sentence],
        };
      }
      case "enrollment.notification.campaign-result": {
        const { campaignName, outcome, programTitle, choiceRank, lotteryRank, queues } = event.data;
        if (outcome === "admitted") {
          const title = programTitle ?? (ru ? "выбранную программу" : "таңдалған бағдарлама");
          return ru
            ? {
                subject: `Кружок: итоги набора «${campaignName}» — место получено`,
                body: [
                  "Здравствуйте!",
                  `По итогам набора «${campaignName}» ваш ребёнок получил место в программе «${title}» (ваш выбор № ${choiceRank ?? 1}, номер в жеребьёвке ${lotteryRank}).`,
                  "Предложение места придёт отдельным сообщением: примите его до указанного срока.",
                ],
              }
            : {
                subject: `Кружок: «${campaignName}» қабылдауының қорытындысы — орын берілді`,
                body: [
                  "Сәлеметсіз бе!",
                  `«${campaignName}» қабылдауының қорытындысы бойынша балаңызға «${title}» бағдарламасынан орын берілді (сіздің № ${choiceRank ?? 1} таңдауыңыз, жеребедегі нөмірі ${lotteryRank}).`,
                  "Орын ұсынысы бөлек хабарламамен келеді: оны көрсетілген мерзімге дейін қабылдаңыз.",
                ],
              };
        }
        return ru
          ? {
              subject: `Кружок: итоги набора «${campaignName}» — ребёнок в очереди`,
              body: [
                "Здравствуйте!",
                `По итогам набора «${campaignName}» мест в выбранных группах для вашего ребёнка не хватило (номер в жеребьёвке ${lotteryRank}).`,
                `Ребёнок поставлен в очередь в ${queues} из выбранных групп; когда освободится место, вы получите предложение.`,
                "Причина по каждому выбору — в личном кабинете.",
              ],
            }
          : {
              subject: `Кружок: «${campaignName}» қабылдауының қорытындысы — бала кезекте`,
              body: [
                "Сәлеметсіз бе!",
                `«${campaignName}» қабылдауының қорытындысы бойынша таңдалған топтарда балаңызға орын жетпеді (жеребедегі нөмірі ${lotteryRank}).`,
                `Бала таңдалған топтардың ${queues}-інің кезегіне қойылды; орын босағанда сізге ұсыныс келеді.`,
                "Әр таңдау бойынша себебі — жеке кабинетте.",
              ],
            };
      }
      case "enrollment.notification.seat-passed-while-financing": {
        const { programTitle } = event.data;
        return ru
          ? {
              subject: `Кружок: место в группе передано следующему — «${programTitle}»`,
              body: [
                "Здравствуйте!",
                `В группе программы «${programTitle}» освободилось место, но сертификат вашего ребёнка ещё ждёт финансирования: бюджет муниципалитета на этот год сейчас распределён.`,
                "Место предложено следующему в очереди. Ваш ребёнок сохраняет своё место в очереди; как только сертификат будет профинансирован, вы получите предложение следующего свободного места.",
              ],
            }
          : {
              subject: `Кружок: топтағы орын келесі балаға берілді — «${programTitle}»`,
              body: [
                "Сәлеметсіз бе!",
                `«${programTitle}» бағдарламасының тобында орын босады, бірақ балаңыздың сертификаты әлі қаржыландыруды күтуде: муниципалитеттің осы жылғы бюджеті қазір бөлінген.`,
                "Орын кезектегі келесі балаға ұсынылды. Балаңыз кезектегі орнын сақтайды; сертификат қаржыландырылған бойда сізге келесі бос орынның ұсынысы келеді.",
              ],
            };
      }
      case "registry.notification.category-ending": {
        const { code, validUntil } = event.data;
        const name = categoryName(code, locale);
        const date = formatDate(validUntil, locale);
        return ru
          ? {
              subject: `Кружок: льготная категория «${name}» действует до ${date}`,
              body: [
                "Здравствуйте!",
                `Документ, подтверждающий категорию «${name}» вашего ребёнка, действует по ${date} включительно.`,
                "Чтобы ребёнок сохранил место в очередях по льготе, загрузите новый документ в личном кабинете или принесите его оператору до этой даты.",
              ],
            }
          : {
              subject: `Кружок: «${name}» жеңілдік санаты ${date} дейін жарамды`,
              body: [
                "Сәлеметсіз бе!",
                `Балаңыздың «${name}» санатын растайтын құжат ${date} қоса алғанда жарамды.`,
                "Бала жеңілдік бойынша кезектегі орнын сақтауы үшін осы күнге дейін жеке кабинетте жаңа құжатты жүктеңіз немесе оны операторға әкеліңіз.",
              ],
            };
      }
      case "registry.notification.certificate-ending": {
        const { endsOn } = event.data;
        const date = formatDate(endsOn, locale);
        return ru
          ? {
              subject: `Кружок: сертификат ребёнка закроется ${date}`,
              body: [
                "Здравствуйте!",
                `${date} вашему ребёнку исполнится 18 лет, и в этот день сертификат дополнительного образования будет закрыт.`,
                "Занятия до этого дня оплачиваются как прежде; после него продолжить обучение можно только за плату, по договору с организацией.",
              ],
            }
          : {
              subject: `Кружок: баланың сертификаты ${date} жабылады`,
              body: [
                "Сәлеметсіз бе!",
                `${date} балаңызға 18 жас толады, және осы күні қосымша білім беру сертификаты жабылады.`,
                "Осы күнге дейінгі сабақтар бұрынғыдай төленеді; одан кейін оқуды тек ұйыммен шарт бойынша ақылы түрде жалғастыруға болады.",
              ],
            };
      }
      default: {
        const never: never = event;
        return never;
      }
    }
  })();
  return { locale, subject, text: [...body, "", signature[locale]].join("\n") };
}
