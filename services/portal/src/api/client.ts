// The services, as the portal calls them on a person's behalf: their own HTTP APIs with the
// person's token and language. A page never reaches a service's database or events.
import { Agent, request } from "node:http";
import { Agent as TlsAgent, request as tlsRequest } from "node:https";
import type { FamilyLanguage } from "@kruzhok/i18n";

export type ServiceName = "registry" | "catalogue" | "enrollment" | "attendance" | "payments" | "statistics";

/** A problem document's named fields (RFC 9457 extension `invalidParams`) as the services send them. */
export interface InvalidParam {
  name: string;
  reason: string;
  rule?: string;
}

export interface Problem {
  status: number;
  code: string;
  title: string;
  detail: string;
  invalidParams?: InvalidParam[];
}

export type Answer<T> = { ok: true; status: number; body: T; headers: Headers } | { ok: false; status: number; problem: Problem };

export interface CallOptions {
  token?: string | undefined;
  language: FamilyLanguage;
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined> | URLSearchParams;
  /** Sent as Idempotency-Key: a form carries one from the moment it was drawn, so a resubmission is a retry. */
  idempotencyKey?: string;
  /** The request id of the page, so one person's step has one id across the services' logs. */
  requestId?: string;
  /** Further headers (an office's Acting-Basis). */
  headers?: Record<string, string>;
}

/** A service did not answer (down, timed out): the page says to try again later. */
export class ServiceUnavailable extends Error {
  constructor(readonly service: ServiceName, cause: unknown) {
    super(`${service} did not answer`, { cause });
  }
}

export class Services {
  // node:http with kept-alive sockets rather than fetch: a page makes one to five calls, and
  // fetch's machinery was a large share of the navigator page's CPU (BENCHMARKS.md, issue #17).
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  private readonly tlsAgent = new TlsAgent({ keepAlive: true, maxSockets: 64 });

  constructor(
    private readonly urls: Record<ServiceName, string>,
    private readonly timeoutMs: number,
  ) {}

  private send(url: URL, method: string, headers: Record<string, string>, payload: string | undefined): Promise<{ status: number; headers: Headers; text: string }> {
    return new Promise((resolve, reject) => {
      const tls = url.protocol === "https:";
      const req = (tls ? tlsRequest : request)(url, { method, headers, agent: tls ? this.tlsAgent : this.agent, timeout: this.timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () => {
          const answerHeaders = new Headers();
          const type = res.headers["content-type"];
          if (type) answerHeaders.set("content-type", type);
          resolve({ status: res.statusCode ?? 0, headers: answerHeaders, text: Buffer.concat(chunks).toString("utf8") });
        });
      });
      req.on("timeout", () => req.destroy(new Error(`no answer in ${this.timeoutMs} ms`)));
      req.on("error", reject);
      req.end(payload);
    });
  }

  /** Close the kept-alive sockets (on shutdown). */
  close(): void {
    this.agent.destroy();
    this.tlsAgent.destroy();
  }

  /** A service's base address, for calls this client does not make (a stream, a file's bytes). */
  urlOf(service: ServiceName): string {
    return this.urls[service];
  }

  /** A text document of a service (an export), or undefined when refused. */
  async callText(service: ServiceName, path: string, options: CallOptions): Promise<string | undefined> {
    const url = new URL(path, this.urls[service]);
    for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.append(key, String(value));
    const headers: Record<string, string> = { "accept-language": options.language };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let answer: { status: number; text: string };
    try {
      answer = await this.send(url, "GET", headers, undefined);
    } catch (error) {
      throw new ServiceUnavailable(service, error);
    }
    if (answer.status >= 500) throw new ServiceUnavailable(service, new Error(String(answer.status)));
    return answer.status === 200 ? answer.text : undefined;
  }

  async call<T>(service: ServiceName, method: string, path: string, options: CallOptions): Promise<Answer<T>> {
    const url = new URL(path, this.urls[service]);
    const query = options.query instanceof URLSearchParams ? options.query : Object.entries(options.query ?? {});
    for (const [key, value] of query) if (value !== undefined && value !== "") url.searchParams.append(key, String(value));
    const headers: Record<string, string> = { ...options.headers, accept: "application/json", "accept-language": options.language };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers["content-type"] = "application/json";
    if (options.idempotencyKey) headers["idempotency-key"] = options.idempotencyKey;
    if (options.requestId) headers["x-request-id"] = options.requestId;
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    if (payload !== undefined) headers["content-length"] = String(Buffer.byteLength(payload));
    let answer: { status: number; headers: Headers; text: string };
    try {
      answer = await this.send(url, method, headers, payload);
    } catch (error) {
      throw new ServiceUnavailable(service, error);
    }
    const { status, text } = answer;
    const json: unknown = text.length > 0 && (answer.headers.get("content-type") ?? "").includes("json") ? JSON.parse(text) : undefined;
    if (status >= 200 && status < 300) return { ok: true, status, body: json as T, headers: answer.headers };
    if (status >= 500) throw new ServiceUnavailable(service, new Error(`${status} ${text.slice(0, 200)}`));
    const problem = (json ?? {}) as Partial<Problem>;
    return {
      ok: false,
      status,
      problem: {
        status,
        code: problem.code ?? `HTTP.${status}`,
        title: problem.title ?? "",
        detail: problem.detail ?? "",
        ...(problem.invalidParams && { invalidParams: problem.invalidParams }),
      },
    };
  }
}

/**
 * A problem's fields as a form names them: `body.document.number` is the form's
 * `document.number`, `query.age` its `age`. A problem that names no field is the form's as a whole
 * (key ""), told in its detail (the service's sentence in the person's language).
 */
export function fieldErrorsOf(problem: Problem): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const param of problem.invalidParams ?? []) {
    const field = param.name.replace(/^(body|query|params|headers)\./, "");
    errors[field] ??= param.reason;
  }
  if (Object.keys(errors).length === 0) errors[""] = problem.detail || problem.title;
  return errors;
}
