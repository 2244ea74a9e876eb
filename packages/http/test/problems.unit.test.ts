import { describe, expect, it } from "vitest";
import { actorError, requireRole } from "@kruzhok/actor";
import { ProblemDocument } from "@kruzhok/contracts";
import { DomainError, ErrorCategories, domainErrors, errorMessage } from "@kruzhok/errors";
import { categoryStatus, HttpErrorCodes, HttpProblem, invalidParamsOf, requestFieldOf, toProblem } from "../src";

const at = { instance: "/children", requestId: "req-1" };

describe("problem documents", () => {
  it("gives every category exactly one status, and every HTTP code a namespaced name", () => {
    expect(Object.keys(categoryStatus).sort()).toEqual([...ErrorCategories].sort());
    for (const [code, { status }] of Object.entries(HttpErrorCodes)) {
      expect(code).toMatch(/^(HTTP|AUTH)\.[A-Z_]+$/);
      expect(status).toBeGreaterThanOrEqual(400);
    }
  });

  it("renders a domain error with its code, message and field", () => {
    const error = new DomainError("ENROLLMENT.SEAT_TAKEN", "conflict", "The seat is taken", { field: "groupId" });
    const { body, internal } = toProblem(error, at);
    expect(internal).toBe(false);
    expect(ProblemDocument.parse(body)).toEqual({
      type: "urn:kruzhok:problem:ENROLLMENT.SEAT_TAKEN",
      title: "Conflict",
      status: 409,
      detail: "The seat is taken",
      instance: "/children",
      code: "ENROLLMENT.SEAT_TAKEN",
      invalidParams: [{ name: "body.groupId", reason: "The seat is taken", rule: "ENROLLMENT.SEAT_TAKEN" }],
      requestId: "req-1",
    });
  });

  it("renders the actor's refusals as 403 with the titles clients have always seen", () => {
    const role = (() => {
      try {
        return requireRole({ subject: "g", role: "guardian" }, "operator");
      } catch (error) {
        return error;
      }
    })();
    expect(toProblem(role, at).body).toMatchObject({ status: 403, code: "AUTH.FORBIDDEN_ROLE", title: "Your role may not do this" });
    const elsewhere = actorError("AUTH.OTHER_MUNICIPALITY", "The guardian is registered in another municipality", { field: "guardianIds.0" });
    expect(toProblem(elsewhere, at).body).toMatchObject({
      status: 403,
      code: "AUTH.OTHER_MUNICIPALITY",
      title: "The resource belongs to another municipality",
      invalidParams: [{ name: "body.guardianIds.0", rule: "AUTH.OTHER_MUNICIPALITY" }],
    });
  });

  it("names a domain error's field in the body, or in the request part the route gives its first segment", () => {
    expect(requestFieldOf("childId")).toBe("body.childId");
    expect(requestFieldOf("document.number")).toBe("body.document.number");
    expect(requestFieldOf("childId", { childId: "params" })).toBe("params.childId");
    expect(requestFieldOf("cursor", { cursor: "query" })).toBe("query.cursor");
    expect(requestFieldOf("child.birthDate", { child: "as-is" })).toBe("child.birthDate");
    expect(requestFieldOf("childIds.0", { childId: "params" })).toBe("body.childIds.0");
    const error = new DomainError("X.RULE", "validation", "no", { field: "cursor" });
    expect(toProblem(error, { ...at, fieldsIn: { cursor: "query" } }).body.invalidParams).toEqual([{ name: "query.cursor", reason: "no", rule: "X.RULE" }]);
  });

  it("chooses 422 for a domain validation and 409 for an illegal state", () => {
    expect(toProblem(new DomainError("X.RULE", "validation", "no"), at).body.status).toBe(422);
    expect(toProblem(new DomainError("X.STATE", "illegal_state", "no"), at).body.status).toBe(409);
  });

  it("challenges with WWW-Authenticate on an unauthorized domain error and on AUTH.UNAUTHENTICATED", () => {
    expect(toProblem(new DomainError("X.WHO", "unauthorized", "who?"), at).headers["www-authenticate"]).toMatch(/^Bearer /);
    const problem = new HttpProblem("AUTH.UNAUTHENTICATED", "no token", { headers: { "www-authenticate": "Bearer" } });
    expect(toProblem(problem, at)).toMatchObject({ body: { status: 401 }, headers: { "www-authenticate": "Bearer" } });
  });

  it("hides the message of an unexpected error", () => {
    const { body, internal } = toProblem(new Error("connection to 10.0.0.5 refused for user kruzhok"), at);
    expect(internal).toBe(true);
    expect(body).toMatchObject({ status: 500, code: "HTTP.INTERNAL" });
    expect(JSON.stringify(body)).not.toContain("10.0.0.5");
  });

  it("names nested fields and each unknown key of a strict object", () => {
    const params = invalidParamsOf([
      { keyword: "invalid_format", instancePath: "/child/birthDate", message: "Invalid ISO date" },
      { keyword: "unrecognized_keys", instancePath: "/child", message: "Unrecognized keys", params: { keys: ["shoeSize", "eyes"] } },
      { keyword: "too_small", instancePath: "/children/0/firstName", message: "Too small" },
    ]);
    expect(params).toEqual([
      { name: "body.child.birthDate", reason: "Invalid ISO date", rule: "invalid_format" },
      { name: "body.child.shoeSize", reason: "is not a known field", rule: "unrecognized_keys" },
      { name: "body.child.eyes", reason: "is not a known field", rule: "unrecognized_keys" },
      { name: "body.children.0.firstName", reason: "Too small", rule: "too_small" },
    ]);
    expect(invalidParamsOf([{ keyword: "invalid_type", instancePath: "/page" }], "querystring")[0]?.name).toBe("query.page");
  });

  it("maps Fastify's body errors to their own codes", () => {
    expect(toProblem({ code: "FST_ERR_CTP_BODY_TOO_LARGE", statusCode: 413 }, at).body).toMatchObject({
      status: 413,
      code: "HTTP.PAYLOAD_TOO_LARGE",
    });
    expect(toProblem({ code: "FST_ERR_CTP_INVALID_JSON_BODY", statusCode: 400 }, at).body.code).toBe("HTTP.MALFORMED_BODY");
    expect(toProblem({ code: "FST_ERR_CTP_INVALID_MEDIA_TYPE", statusCode: 415 }, at).body.status).toBe(415);
    expect(toProblem({ code: "FST_ERR_SOMETHING", statusCode: 406, message: "Not acceptable" }, at).body).toMatchObject({
      status: 406,
      code: "HTTP.BAD_REQUEST",
      detail: "Not acceptable",
    });
  });

  describe("in the request's language", () => {
    const demoError = domainErrors("DEMO", { SEAT_TAKEN: "conflict" }, { SEAT_TAKEN: { ru: "Место уже занято: выберите другую группу.", kk: "Орын бос емес: басқа топ таңдаңыз." } });

    it("says a domain refusal in Russian or Kazakh, with the field's reason too; English only when asked for it or nothing", () => {
      const error = demoError("SEAT_TAKEN", "seat 3 of group g is taken", { field: "groupId" });
      const ru = toProblem(error, { ...at, language: "ru" });
      expect(ru.body).toMatchObject({
        code: "DEMO.SEAT_TAKEN",
        title: "Уже сделано или противоречит сделанному",
        detail: "Место уже занято: выберите другую группу.",
        invalidParams: [{ name: "body.groupId", reason: "Место уже занято: выберите другую группу.", rule: "DEMO.SEAT_TAKEN" }],
      });
      expect(ru.headers).toMatchObject({ "content-language": "ru", vary: "Accept-Language" });
      expect(toProblem(error, { ...at, language: "kk" }).body.detail).toBe("Орын бос емес: басқа топ таңдаңыз.");
      expect(toProblem(error, at).body).toMatchObject({ title: "Conflict", detail: "seat 3 of group g is taken" });
      expect(toProblem(error, at).headers["content-language"]).toBe("en");
    });

    it("has a sentence in both languages for every code of the kit and of the actor", () => {
      for (const [code, entry] of Object.entries(HttpErrorCodes)) {
        expect(entry.ru, code).toMatch(/[а-яё]/i);
        expect(entry.kk, code).toMatch(/[а-яёәғқңөұүһі]/i);
      }
      for (const code of ["AUTH.FORBIDDEN_ROLE", "AUTH.OTHER_MUNICIPALITY", "AUTH.OTHER_REGION", "AUTH.BASIS_REQUIRED", "AUTH.BASIS_INVALID"]) {
        expect(errorMessage(code, "ru"), code).toBeDefined();
        expect(errorMessage(code, "kk"), code).toBeDefined();
      }
    });

    it("words each schema rule, with a number's bounds, in the person's language", () => {
      const issues = [
        { keyword: "too_big", instancePath: "/capacity", message: "Too big: expected number to be <=500", params: { origin: "number", maximum: 500 } },
        { keyword: "invalid_format", instancePath: "/birthDate", message: "Invalid ISO date", params: { format: "date" } },
        { keyword: "unrecognized_keys", instancePath: "", message: "Unrecognized key", params: { keys: ["colour"] } },
      ];
      expect(invalidParamsOf(issues, "body", "ru")).toEqual([
        { name: "body.capacity", reason: "должно быть не больше 500", rule: "too_big" },
        { name: "body.birthDate", reason: "неверный формат", rule: "invalid_format" },
        { name: "body.colour", reason: "лишнее поле: уберите его", rule: "unrecognized_keys" },
      ]);
      const problem = toProblem({ validation: issues, validationContext: "body" }, { ...at, language: "kk" });
      expect(problem.body).toMatchObject({ code: "HTTP.VALIDATION", detail: HttpErrorCodes["HTTP.VALIDATION"].kk });
      expect(problem.body.invalidParams?.[0]?.reason).toBe("ең көбі 500 болуы керек");
    });
  });
});
