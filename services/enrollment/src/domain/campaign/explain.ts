import { errorMessage } from "@kruzhok/errors";
import { categoryName, russianForm, type FamilyLanguage } from "@kruzhok/i18n";
import type { ChildOutcome, ChoiceExplanation, GroupPriority } from "./allocate";

/**
 * What a family reads about its campaign result, in its language: one sentence per choice and
 * one summary, naming groups as families know them (the program and its lesson times) and the
 * family's own category by its human name, never another family's child or category. Pure: the
 * caller hands in the outcome, the category order, what the draw then did with the child's
 * applications and the groups' names.
 */

/** What the draw did after the allocation: the application created, or the rule that refused it then. */
export interface PlacementFact {
  groupId: string;
  kind: "admitted" | "waitlisted";
  applicationId: string | null;
  refusalCode: string | null;
  refusalDetail: string | null;
}

export interface ChoiceSentence {
  groupId: string;
  choiceRank: number;
  outcome: ChoiceExplanation["outcome"];
  sentence: string;
}

export interface FamilyExplanation {
  summary: string;
  choices: ChoiceSentence[];
}

/** How the family names each group (`groupName` of @kruzhok/i18n); a group without one is "группа"/"топ". */
export type GroupNames = ReadonlyMap<string, string>;

interface Words {
  language: FamilyLanguage;
  order: readonly string[];
  names: GroupNames;
}

const nameOf = (w: Words, groupId: string) => w.names.get(groupId) ?? (w.language === "ru" ? "группа" : "топ");

function categoryPhrase(w: Words, rank: number | null): string {
  const ru = w.language === "ru";
  if (rank === null) return ru ? "без льготной категории" : "жеңілдік санатысыз";
  const code = w.order[rank];
  const name = code === undefined ? "—" : categoryName(code, w.language);
  return ru ? `категория «${name}» (${rank + 1}-я в порядке муниципалитета)` : `«${name}» санаты (муниципалитет тізімінде ${rank + 1}-орын)`;
}

function standing(w: Words, p: GroupPriority): string {
  return w.language === "ru" ? `${categoryPhrase(w, p.categoryRank)}, место в жеребьёвке ${p.lotteryRank}` : `${categoryPhrase(w, p.categoryRank)}, жеребедегі орын ${p.lotteryRank}`;
}

/** Why a rule refused the application the draw made: the refusal's own sentence in the family's language. */
function refusalOf(w: Words, code: string, detail: string | null): string {
  return errorMessage(code, w.language) ?? detail ?? code;
}

function sentenceOf(w: Words, choice: ChoiceExplanation, placement: PlacementFact | undefined): string {
  const ru = w.language === "ru";
  const which = ru ? `Выбор ${choice.choiceRank} — ${nameOf(w, choice.groupId)}` : `${choice.choiceRank}-таңдау — ${nameOf(w, choice.groupId)}`;
  switch (choice.outcome) {
    case "admitted": {
      if (placement?.refusalCode) {
        const why = refusalOf(w, placement.refusalCode, placement.refusalDetail);
        return ru
          ? `${which}: по жеребьёвке ребёнку досталось место, но заявление тогда подать не удалось (${why}); место перешло в очередь группы.`
          : `${which}: жеребе бойынша балаға орын тиді, бірақ сол кезде өтініш беру мүмкін болмады (${why}); орын топ кезегіне өтті.`;
      }
      return ru ? `${which}: ребёнку досталось место; примите предложение до его срока.` : `${which}: балаға орын тиді; ұсынысты мерзімі өткенше қабылдаңыз.`;
    }
    case "no_seats":
      return ru ? `${which}: в этой кампании в группе не было свободных мест.` : `${which}: бұл науқанда топта бос орын болмады.`;
    case "not_reached":
      return ru
        ? `${which}: не понадобился — ребёнок получил место в группе, которую вы поставили выше.`
        : `${which}: қажет болмады — бала сіз жоғары қойған топтан орын алды.`;
    case "outranked": {
      const seats = choice.capacity;
      const seatWords = `${seats} ${russianForm(seats, "место", "места", "мест")}`;
      const reason =
        choice.decidedBy === "category"
          ? ru
            ? `все ${seatWords} получили дети с более высокой льготной категорией, чем у вас`
            : `топтың барлық ${seats} орнын сізден жоғары жеңілдік санаты бар балалар алды`
          : ru
            ? `все ${seatWords} получили дети с такой же или более высокой категорией, а внутри вашей категории — с лучшими номерами жеребьёвки`
            : `барлық ${seats} орынды сіздікіндей немесе жоғары санаттағы балалар, ал сіздің санатыңызда жеребе нөмірі жақсырақ балалар алды`;
      // Which category the last child admitted has is that child's special-category data: a family
      // beaten by category learns only that it was higher (a lottery cut-off shares the family's own).
      const cutoff =
        choice.decidedBy === "category"
          ? ru
            ? `более высокая льготная категория, место в жеребьёвке ${choice.cutoff.lotteryRank}`
            : `жоғарырақ жеңілдік санаты, жеребедегі орын ${choice.cutoff.lotteryRank}`
          : standing(w, choice.cutoff);
      return ru
        ? `${which}: ${reason}. Ваше положение: ${standing(w, choice.yours)}; у последнего принятого ребёнка: ${cutoff}.`
        : `${which}: ${reason}. Сіздің жағдайыңыз: ${standing(w, choice.yours)}; соңғы қабылданған балада: ${cutoff}.`;
    }
  }
}

export function explainOutcome(
  outcome: ChildOutcome,
  order: readonly string[],
  placements: readonly PlacementFact[],
  language: FamilyLanguage = "ru",
  names: GroupNames = new Map(),
): FamilyExplanation {
  const w: Words = { language, order, names };
  const ru = language === "ru";
  const placementAt = new Map(placements.map((p) => [p.groupId, p]));
  const choices = outcome.choices.map((choice) => ({
    groupId: choice.groupId,
    choiceRank: choice.choiceRank,
    outcome: choice.outcome,
    sentence: sentenceOf(w, choice, placementAt.get(choice.groupId)),
  }));
  let summary: string;
  if (outcome.groupId !== null) {
    const group = nameOf(w, outcome.groupId);
    summary = ru
      ? `Ребёнок принят в группу выбора ${outcome.choiceRank} — ${group}; место в жеребьёвке ${outcome.lotteryRank}.`
      : `Бала ${outcome.choiceRank}-таңдаудағы топқа қабылданды — ${group}; жеребедегі орны ${outcome.lotteryRank}.`;
  } else {
    const waiting = outcome.waitlists
      .map((wl) => {
        const p = placementAt.get(wl.groupId);
        const group = nameOf(w, wl.groupId);
        if (p?.refusalCode) {
          const why = refusalOf(w, p.refusalCode, p.refusalDetail);
          return ru ? `${group}: в очередь не поставлен (${why})` : `${group}: кезекке қойылмады (${why})`;
        }
        return ru ? `${group}: ${wl.position}-й среди не получивших место в кампании` : `${group}: науқанда орын алмағандар арасында ${wl.position}-орын`;
      })
      .join("; ");
    summary = ru
      ? `Ни в одной из выбранных групп не нашлось места для ребёнка (место в жеребьёвке ${outcome.lotteryRank}). Теперь ребёнок стоит в очередях выбранных групп в порядке жеребьёвки (${waiting}); освободившееся место предлагается по правилу очереди, сначала по льготной категории.`
      : `Таңдалған топтардың ешқайсысында балаға орын табылмады (жеребедегі орны ${outcome.lotteryRank}). Енді бала таңдалған топтардың кезегінде жеребе ретімен тұр (${waiting}); босаған орын кезек ережесі бойынша, алдымен жеңілдік санаты бойынша ұсынылады.`;
  }
  return { summary, choices };
}
