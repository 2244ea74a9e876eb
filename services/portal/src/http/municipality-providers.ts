// The providers' applications, as the municipality's education office vets them (issue #18): the
// list with the applications waiting first, and one provider's page with its checks (staff
// background, premises, safety) and the decisions its status allows: approve once every check
// passed, reject an application or suspend an approved provider with a reason the provider reads,
// reinstate a suspended one. The registry decides each (decideProvider) and keeps the reasons;
// the page carries the form and shows a refusal beside its field.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { fieldErrorsOf, type Answer, type Problem } from "../api/client";
import type { PageContext } from "../pages/context";
import { html, type Html } from "../pages/html";
import { csrfInput, errorSummary, field, fieldId, layout, select } from "../pages/layout";
import type { TextKey } from "../pages/texts";
import type { OfficialPagesOptions } from "./municipality";
import { asPerson, notFoundPage as notFound, notice, personAndId, personOf, sendPage } from "./web";

type Status = "applied" | "approved" | "rejected" | "suspended";
type CheckResult = "pending" | "passed" | "failed";
const CHECKS = ["staff", "premises", "safety"] as const;
const RESULTS: readonly CheckResult[] = ["pending", "passed", "failed"];
const REJECT_CODES = ["checks_failed", "documents_incomplete", "licence_invalid", "other"] as const;
const SUSPEND_CODES = ["complaint", "safety", "licence_revoked", "other"] as const;
const DECISIONS = ["checks", "approve", "reject", "suspend", "reinstate"] as const;
type Decision = (typeof DECISIONS)[number];

/** The registry's whole record of a provider (its `staff` view, for the office of its municipality). */
interface ProviderRecord {
  view: "staff" | "public";
  id: string;
  municipalityId: string;
  kind: string;
  name: string;
  taxId: string;
  licence: { number: string; issuedOn: string };
  status: Status;
  checks: Record<(typeof CHECKS)[number], CheckResult>;
  rejectionReasons: string[] | null;
  suspendedReason: string | null;
}

type Form = Record<string, string | undefined>;

const statusText = (ctx: PageContext, status: Status) => ctx.t(`municipality.provider.status.${status}`);
const kindText = (ctx: PageContext, kind: string) => {
  const key = `municipality.provider.kind.${kind}`;
  return ["municipal", "state", "private", "entrepreneur"].includes(kind) ? ctx.t(key as TextKey) : kind;
};
const passedCount = (p: ProviderRecord) => CHECKS.filter((c) => p.checks[c] === "passed").length;

/** The form's errors from the registry's refusal: its fields named as the form names them. */
function refusalErrors(ctx: PageContext, problem: Problem): Record<string, string> {
  const { t } = ctx;
  if (problem.code === "REGISTRY.PROVIDER_CHECKS_INCOMPLETE") return { checks: t("municipality.provider.checksIncomplete") };
  if (problem.code === "REGISTRY.PROVIDER_TRANSITION") return { "": t("municipality.provider.transition") };
  const errors: Record<string, string> = {};
  for (const [name, reason] of Object.entries(fieldErrorsOf(problem))) {
    // One reason field on the page: the registry's `reasons` (a list) and `reason` are both it.
    errors[/^reasons?(\.\d+)?$/.test(name) ? "reason" : name] ??= reason;
  }
  return errors;
}

export function municipalityProviderRoutes(app: FastifyInstance, options: OfficialPagesOptions): void {
  const { services } = options;

  app.get("/municipality/providers", async (request, reply) => {
    const person = personOf(request, reply, "municipality");
    if (!person) return reply;
    const ctx = request.page;
    const { t } = ctx;
    const municipalityId = person.actor.municipalityId;
    // The office's own municipality only: the registry shows it every status in the whole record.
    const answer = municipalityId
      ? await services.call<ProviderRecord[]>("registry", "GET", `/municipalities/${municipalityId}/providers`, asPerson(ctx, person.token))
      : undefined;
    const providers = answer?.ok ? answer.body.filter((p) => p.view === "staff") : [];
    const byName = (a: ProviderRecord, b: ProviderRecord) => a.name.localeCompare(b.name, ctx.language);
    const waiting = providers.filter((p) => p.status === "applied").sort(byName);
    const others = providers.filter((p) => p.status !== "applied").sort(byName);
    const card = (p: ProviderRecord) => html`<li class="card"><h3><a href="/municipality/providers/${p.id}">${p.name}</a></h3>
  <p class="meta">${kindText(ctx, p.kind)} · ${t("municipality.provider.taxId")}: ${p.taxId}</p>
  <p><span class="tag">${statusText(ctx, p.status)}</span>${p.status === "applied" ? ` ${t("municipality.providers.checks")}: ${t("municipality.provider.checksPassed", { passed: passedCount(p) })}` : ""}</p></li>`;
    const body = html`<h1>${t("municipality.providers")}</h1>
<p>${t("municipality.providers.intro")}</p>
${providers.length === 0 ? html`<p>${t("municipality.providers.none")}</p>` : ""}
${waiting.length > 0 ? html`<h2>${t("municipality.providers.waiting", { count: waiting.length })}</h2><ul class="cards">${waiting.map(card)}</ul>` : ""}
${others.length > 0 ? html`<h2>${t("municipality.providers.others")}</h2><ul class="cards">${others.map(card)}</ul>` : ""}
<p><a href="/municipality">${t("municipality.title")}</a></p>`;
    return sendPage(reply, layout(ctx, { title: t("municipality.providers"), body }));
  });

  /** One provider: its record, its checks, and the forms of the decisions its status allows. */
  async function providerPage(request: FastifyRequest, reply: FastifyReply, state: { form?: Form; errors?: Record<string, string>; done?: string } = {}): Promise<FastifyReply> {
    const found = personAndId(request, reply, "municipality");
    if (!found) return reply;
    const { person, id } = found;
    const ctx = request.page;
    const { t, format } = ctx;
    const answer = await services.call<ProviderRecord>("registry", "GET", `/providers/${id}`, asPerson(ctx, person.token));
    // Another municipality's provider (the public view, or none): not this office's page.
    if (!answer.ok || answer.body.view !== "staff" || answer.body.municipalityId !== person.actor.municipalityId) return notFound(request, reply);
    const p = answer.body;
    const errors = state.errors ?? {};
    const form = state.form ?? {};
    const labels: Record<string, string> = {
      "": t("municipality.providers"),
      checks: t("municipality.provider.checks"),
      reason: t("municipality.provider.reason"),
      code: t("municipality.provider.code"),
      ...Object.fromEntries(CHECKS.map((c) => [c, t(`municipality.provider.check.${c}`)])),
    };
    const action = `/municipality/providers/${p.id}/decision`;
    const reasonField = (codes: readonly string[], prefix: "rejectCode" | "suspendCode") => html`${select({
      name: "code",
      label: labels.code!,
      value: form.code ?? "other",
      error: errors.code,
      options: codes.map((c) => ({ value: c, label: t(`municipality.provider.${prefix}.${c}` as TextKey) })),
    })}
  ${field({ name: "reason", label: labels.reason!, value: form.reason, error: errors.reason, hint: t("municipality.provider.reasonHint") })}`;
    let decisions: Html;
    switch (p.status) {
      case "applied":
        decisions = html`<form method="post" action="${action}" novalidate>
  ${csrfInput(ctx)}
  <fieldset id="${fieldId("checks")}"${errors.checks ? html` aria-describedby="${fieldId("checks")}-error"` : ""}><legend>${t("municipality.provider.checks")}</legend>
    <p class="hint">${t("municipality.provider.checksIntro")}</p>
    ${errors.checks ? html`<p class="error" id="${fieldId("checks")}-error">${errors.checks}</p>` : ""}
    ${CHECKS.map((c) =>
      select({
        name: c,
        label: labels[c]!,
        value: form[c] ?? p.checks[c],
        error: errors[c],
        options: RESULTS.map((r) => ({ value: r, label: t(`municipality.provider.checkState.${r}`) })),
      }),
    )}
  </fieldset>
  <div class="actions">
    <button type="submit" name="decision" value="approve">${t("municipality.provider.approve")}</button>
    <button type="submit" name="decision" value="checks" class="secondary">${t("municipality.provider.saveChecks")}</button>
  </div>
</form>
<h2>${t("municipality.provider.reject")}</h2>
<form method="post" action="${action}" novalidate>
  ${csrfInput(ctx)}
  ${reasonField(REJECT_CODES, "rejectCode")}
  <button type="submit" name="decision" value="reject" class="warning">${t("municipality.provider.reject")}</button>
</form>`;
        break;
      case "approved":
        decisions = html`<h2>${t("municipality.provider.suspend")}</h2>
<p>${t("municipality.provider.suspendIntro")}</p>
<form method="post" action="${action}" novalidate>
  ${csrfInput(ctx)}
  ${reasonField(SUSPEND_CODES, "suspendCode")}
  <button type="submit" name="decision" value="suspend" class="warning">${t("municipality.provider.suspend")}</button>
</form>`;
        break;
      case "suspended":
        decisions = html`<h2>${t("municipality.provider.suspendedBecause")}</h2>
<p>${p.suspendedReason ?? "—"}</p>
<form method="post" action="${action}">
  ${csrfInput(ctx)}
  <button type="submit" name="decision" value="reinstate">${t("municipality.provider.reinstate")}</button>
</form>`;
        break;
      case "rejected":
        decisions = html`<h2>${t("municipality.provider.rejectedBecause")}</h2>
<ul>${(p.rejectionReasons ?? []).map((r) => html`<li>${r}</li>`)}</ul>`;
        break;
      default: {
        const exhaustive: never = p.status;
        return exhaustive;
      }
    }
    const body = html`<h1>${p.name}</h1>
<p><span class="tag">${statusText(ctx, p.status)}</span></p>
${errorSummary(ctx, errors, labels)}
<dl class="summary">
  <dt>${t("municipality.providers.kind")}</dt><dd>${kindText(ctx, p.kind)}</dd>
  <dt>${t("municipality.provider.taxId")}</dt><dd>${p.taxId}</dd>
  <dt>${t("municipality.provider.licence")}</dt><dd>${t("municipality.provider.licenceOf", { number: p.licence.number, date: format.date(p.licence.issuedOn) })}</dd>
  ${p.status !== "applied" ? html`<dt>${t("municipality.provider.checks")}</dt><dd>${CHECKS.map((c) => `${labels[c]}: ${t(`municipality.provider.checkState.${p.checks[c]}`)}`).join("; ")}</dd>` : ""}
</dl>
${decisions}
<p><a href="/municipality/providers">${t("municipality.provider.back")}</a></p>`;
    const done = DECISIONS.find((d) => d === state.done);
    return sendPage(
      reply.code(Object.keys(errors).length > 0 ? 400 : 200),
      layout(ctx, { title: p.name, body, notice: done ? notice(t(`municipality.provider.done.${done}`)) : undefined }),
    );
  }

  app.get<{ Querystring: { done?: string } }>("/municipality/providers/:id", (request, reply) => providerPage(request, reply, { done: request.query.done }));

  app.post<{ Body: Form }>("/municipality/providers/:id/decision", async (request, reply) => {
    const found = personAndId(request, reply, "municipality");
    if (!found) return reply;
    const { person, id } = found;
    const ctx = request.page;
    const { t } = ctx;
    const form = request.body;
    const decision = DECISIONS.find((d: Decision) => d === form.decision);
    if (!decision) return providerPage(request, reply, { form, errors: { "": t("municipality.provider.transition") } });
    const call = asPerson(ctx, person.token);
    const url = `/providers/${id}`;
    let answer: Answer<unknown>;
    if (decision === "checks" || decision === "approve") {
      const errors: Record<string, string> = {};
      const checks: Partial<Record<(typeof CHECKS)[number], CheckResult>> = {};
      for (const c of CHECKS) {
        const value = RESULTS.find((r) => r === form[c]);
        if (value) checks[c] = value;
        else errors[c] = t("municipality.provider.checkRequired");
      }
      if (Object.keys(errors).length > 0) return providerPage(request, reply, { form, errors });
      // The checks as marked are recorded first, then the approval decided on them.
      answer = await services.call("registry", "PUT", `${url}/checks`, { ...call, body: checks });
      if (answer.ok && decision === "approve") answer = await services.call("registry", "POST", `${url}/approval`, { ...call, body: {} });
    } else if (decision === "reject" || decision === "suspend") {
      const reason = (form.reason ?? "").trim();
      if (reason.length < 3) return providerPage(request, reply, { form, errors: { reason: t("municipality.provider.reasonRequired") } });
      const codes: readonly string[] = decision === "reject" ? REJECT_CODES : SUSPEND_CODES;
      const code = codes.includes(form.code ?? "") ? form.code : "other";
      answer =
        decision === "reject"
          ? await services.call("registry", "POST", `${url}/rejection`, { ...call, body: { reasons: [reason], code } })
          : await services.call("registry", "POST", `${url}/suspension`, { ...call, body: { reason, code } });
    } else {
      answer = await services.call("registry", "POST", `${url}/reinstatement`, { ...call, body: {} });
    }
    if (!answer.ok) {
      if (answer.status === 403 || answer.status === 404) return notFound(request, reply);
      return providerPage(request, reply, { form, errors: refusalErrors(ctx, answer.problem) });
    }
    return reply.redirect(`/municipality/providers/${id}?done=${decision}`, 303);
  });
}
