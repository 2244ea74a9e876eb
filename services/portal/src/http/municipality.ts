// The municipality's administration (issue #18, role `municipality`): the official's home, with
// a card for each of its areas, and this module's own areas, the providers' applications
// (./municipality-providers.ts) and the allocation campaigns (./municipality-campaigns.ts). The
// settings, attendance, registers and budget pages are other modules'; the home only links them.
import type { FastifyInstance } from "fastify";
import type { Services } from "../api/client";
import type { Directory } from "../api/directory";
import { html } from "../pages/html";
import { layout } from "../pages/layout";
import type { TextKey } from "../pages/texts";
import { municipalityCampaignRoutes } from "./municipality-campaigns";
import { municipalityProviderRoutes } from "./municipality-providers";
import { personOf, sendPage } from "./web";

export interface OfficialPagesOptions {
  services: Services;
  directory: Directory;
  clock: () => Date;
}

/** The home's cards, in the order an official's year runs: who teaches, who gets a place, then the rules and the money. */
const AREAS: readonly { href: string; title: TextKey; hint: TextKey }[] = [
  { href: "/municipality/providers", title: "municipality.providers", hint: "municipality.providersHint" },
  { href: "/municipality/campaigns", title: "municipality.campaigns", hint: "municipality.campaignsHint" },
  { href: "/municipality/settings", title: "municipality.settings", hint: "municipality.settingsHint" },
  { href: "/municipality/attendance", title: "municipality.attendance", hint: "municipality.attendanceHint" },
  { href: "/municipality/registers", title: "municipality.registers", hint: "municipality.registersHint" },
  { href: "/municipality/budget", title: "municipality.budget", hint: "municipality.budgetHint" },
];

export function municipalityRoutes(app: FastifyInstance, options: OfficialPagesOptions): void {
  const { directory } = options;

  app.get("/municipality", async (request, reply) => {
    const person = personOf(request, reply, "municipality");
    if (!person) return reply;
    const { t } = request.page;
    const municipality = person.actor.municipalityId ? await directory.municipality(person.actor.municipalityId) : undefined;
    const body = html`<h1>${t("municipality.title")}</h1>
${municipality ? html`<p class="meta">${municipality.name}</p>` : ""}
<p>${t("municipality.intro")}</p>
<ul class="cards">${AREAS.map((a) => html`<li class="card"><h2><a href="${a.href}">${t(a.title)}</a></h2><p>${t(a.hint)}</p></li>`)}</ul>`;
    return sendPage(reply, layout(request.page, { title: t("municipality.title"), body }));
  });

  municipalityProviderRoutes(app, options);
  municipalityCampaignRoutes(app, options);
}
