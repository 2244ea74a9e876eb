// A family's trail: what the office did for it, by whom and on what basis (the registry's and
// enrollment's audit of the child), read by the family on its child's page and by the operator.
import type { Services } from "../api/client";
import type { PageContext } from "../pages/context";
import { html, type Html } from "../pages/html";
import { codeText } from "../pages/texts";
import type { asPerson } from "./web";

/** One act of the office in a family's trail (the registry's and enrollment's audit entries). */
export interface TrailEntry {
  id: string;
  action: string;
  subjectId: string;
  by: { role: string; subject: string };
  basis: { kind: "in_person_visit" | "written_request"; reference: string | null };
  at: string;
}

/** The child's trail in both services, oldest first; a service that does not answer leaves its part out. */
export async function childTrail(services: Services, childId: string, call: ReturnType<typeof asPerson>): Promise<TrailEntry[]> {
  const [registry, enrollment] = await Promise.all([
    services.call<TrailEntry[]>("registry", "GET", `/children/${childId}/audit`, call),
    services.call<TrailEntry[]>("enrollment", "GET", `/children/${childId}/audit`, call),
  ]);
  return [...(registry.ok ? registry.body : []), ...(enrollment.ok ? enrollment.body : [])].sort((a, b) => a.at.localeCompare(b.at));
}

/** A trail entry's act in words (the services' action codes), its basis and when. */
export function trailList(ctx: PageContext, entries: readonly TrailEntry[], timeZone: string): Html {
  const { t, format } = ctx;
  if (entries.length === 0) return html`<p>${t("acting.trailEmpty")}</p>`;
  return html`<ul class="cards">${entries.map(
    (e) => html`<li class="card"><p><strong>${codeText(t, "acting.action", e.action)}</strong></p>
  <p class="meta">${format.instant(e.at, timeZone)} · ${t(`office.basis.${e.basis.kind}`)}${e.basis.reference ? ` № ${e.basis.reference}` : ""}</p></li>`,
  )}</ul>`;
}
