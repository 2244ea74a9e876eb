// What the dashboard's pages share: statistics' cells as the pages read them, their keys (the
// script finds a table cell by the same key), how a value reads, and who sees which regions.
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Services } from "../api/client";
import type { Directory } from "../api/directory";
import type { Municipality } from "../api/types";
import type { PageContext } from "../pages/context";
import { messagePage } from "../pages/layout";
import { sendPage } from "./web";

export interface OfficialPagesOptions {
  services: Services;
  directory: Directory;
  clock: () => Date;
}

/** A published cell as statistics gives it (suppressed ones carry null). */
export interface StatCell {
  scope: "municipality" | "region";
  municipalityId: string | null;
  regionCode: string;
  period: "day" | "month";
  start: string;
  measure: string;
  dims: Record<string, string>;
  value: number | null;
  suppressed: boolean;
}

export type Person = NonNullable<PageContext["person"]>;
export type ValueKind = "count" | "share" | "money" | "days";

const LOCALES = { ru: "ru-RU", kk: "kk-KZ" } as const;
export const REGION_CODE = /^[0-9A-Za-z-]{1,20}$/;

/** Canonical text of a cell's breakdown (statistics' own: keys sorted), the script's too. */
export const dimsKey = (dims: Record<string, string>) =>
  Object.keys(dims)
    .sort()
    .map((k) => `${k}=${dims[k]}`)
    .join(";");

/** A cell's place on the page: its territory, measure and breakdown (the script finds it by the same key). */
export const cellKey = (scopeId: string, measure: string, dims: Record<string, string>) => `${scopeId}|${measure}|${dimsKey(dims)}`;
export const scopeIdOf = (cell: StatCell) => (cell.scope === "region" ? `region:${cell.regionCode}` : (cell.municipalityId ?? ""));

/** A region official and a ministry of one region see one region; a ministry of every region chooses. */
export const everyRegion = (person: Person) => person.actor.role === "ministry" && person.actor.allRegions === true;

/** Children, shares, money and waiting times as a person reads them (the script formats alike). */
export function formatValue(ctx: PageContext, kind: ValueKind, value: number, currency: string): string {
  const locale = LOCALES[ctx.language];
  switch (kind) {
    case "share":
      return new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 2 }).format(value);
    case "money":
      return ctx.format.money(value, currency);
    case "days":
      return new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format(value / 86_400);
    case "count":
      return new Intl.NumberFormat(locale).format(value);
    default: {
      const never: never = kind;
      return String(never);
    }
  }
}

/** A cell's text: suppressed as suppressed (never 0), absent as a dash. */
export function cellText(ctx: PageContext, cell: StatCell | undefined, kind: ValueKind, currency: string): string {
  if (!cell) return "—";
  if (cell.suppressed) return ctx.t("dashboard.suppressed");
  if (cell.value === null) return "—";
  return formatValue(ctx, kind, cell.value, currency);
}

export const monthName = (ctx: PageContext, month: string) =>
  new Intl.DateTimeFormat(LOCALES[ctx.language], { month: "long", year: "numeric", timeZone: "UTC" }).format(new Date(`${month.slice(0, 7)}-01T00:00:00Z`));

/** The regions a person may choose: every region the registry knows, for a ministry of every region. */
export const regionsOf = (municipalities: readonly Municipality[]) => [...new Set(municipalities.map((m) => m.regionCode))].sort();

/** The currency a region counts in (its municipalities'; the first where they differ). */
export const currencyOf = (municipalities: readonly Municipality[], regionCode: string) => municipalities.find((m) => m.regionCode === regionCode)?.currency ?? "RUB";

/** The refusal of a person's request by statistics, in words (its reason in the person's language). */
export function refusedPage(request: FastifyRequest, reply: FastifyReply, detail: string): FastifyReply {
  const ctx = request.page;
  return sendPage(reply.code(403), messagePage(ctx, ctx.t("dashboard.refused"), detail || ctx.t("error.forbiddenText")));
}

