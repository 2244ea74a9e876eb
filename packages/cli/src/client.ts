import { DEV_AUTH_SECRET, signDevToken } from "@kruzhok/http";
import type { Actor } from "@kruzhok/actor";

/**
 * A failure the person can act on: printed as one line saying what to do, exit code 1 (or the
 * code given: 2 for a wrong argument or refused rows).
 */
export class Stop extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** The services the command line talks to, each at its HTTP address (flags, else the environment, else the local stack's port). */
export const SERVICES = {
  registry: { env: "REGISTRY_URL", port: 3001 },
  enrollment: { env: "ENROLLMENT_URL", port: 3003 },
  payments: { env: "PAYMENTS_URL", port: 3005 },
  statistics: { env: "STATISTICS_URL", port: 3006 },
} as const;
export type ServiceName = keyof typeof SERVICES;

export function serviceUrl(service: ServiceName, given: string | undefined, env: NodeJS.ProcessEnv): string {
  const { env: name, port } = SERVICES[service];
  return (given ?? env[name] ?? `http://127.0.0.1:${port}`).replace(/\/$/, "");
}

interface ProblemDocument {
  code?: string;
  detail?: string;
  invalidParams?: { name: string; reason: string }[];
}

export interface Answer {
  status: number;
  headers: Headers;
  body: Buffer;
}

/**
 * One service's API with one token. A call is retried while the service asks to wait (429, 503)
 * or the connection fails for a few seconds; a refusal stops with the service's own reason.
 */
export class ServiceClient {
  constructor(
    readonly service: ServiceName,
    readonly base: string,
    private readonly token: string | undefined,
    private readonly language = "ru",
  ) {}

  async json<T>(method: string, path: string, options: { body?: unknown; headers?: Record<string, string> } = {}): Promise<T> {
    const answer = await this.send(method, path, options);
    return JSON.parse(answer.body.toString("utf8")) as T;
  }

  async send(method: string, path: string, options: { body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
    const headers: Record<string, string> = { accept: "application/json", "accept-language": this.language, ...options.headers };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (options.body !== undefined) headers["content-type"] = "application/json";
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        res = await fetch(`${this.base}${path}`, { method, headers, ...(options.body !== undefined && { body: JSON.stringify(options.body) }) });
      } catch {
        if (attempt < 5) {
          await sleep(1_000 * attempt);
          continue;
        }
        const flag = `--${this.service}-url`;
        throw new Stop(`the ${this.service} at ${this.base} does not answer: start it (npm start), or pass ${flag} or set ${SERVICES[this.service].env}`);
      }
      if ((res.status === 429 || res.status === 503) && attempt < 10) {
        await res.body?.cancel();
        await sleep(1_000 * Number(res.headers.get("retry-after") ?? "1"));
        continue;
      }
      const body = Buffer.from(await res.arrayBuffer());
      if (res.ok) return { status: res.status, headers: res.headers, body };
      throw refusal(this.service, method, path, res.status, body);
    }
  }
}

function refusal(service: ServiceName, method: string, path: string, status: number, body: Buffer): Stop {
  let problem: ProblemDocument = {};
  try {
    problem = JSON.parse(body.toString("utf8")) as ProblemDocument;
  } catch {
    // Not a problem document: the status says enough.
  }
  if (status === 401) return new Stop(`the ${service} refused the token (${problem.detail ?? "unauthenticated"}): pass --token or set KRUZHOK_TOKEN, or run the services in development mode`);
  const fields = (problem.invalidParams ?? []).map((p) => `${p.name.replace(/^(body|query|params)\./, "")}: ${p.reason}`).join("; ");
  const detail = problem.detail ?? `${method} ${path} answered ${status}`;
  return new Stop(`${detail}${fields && !detail.includes(fields) ? ` (${fields})` : ""} [${problem.code ?? status}]`);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The token a command acts with: the one given (--token, KRUZHOK_TOKEN), else a development
 * token for the role the command needs, signed with AUTH_DEV_SECRET (or the kit's public
 * default), which only services in development mode accept.
 */
export async function tokenFor(given: string | undefined, env: NodeJS.ProcessEnv, actor: Actor): Promise<string> {
  return given ?? env.KRUZHOK_TOKEN ?? (await signDevToken(actor, { secret: env.AUTH_DEV_SECRET ?? DEV_AUTH_SECRET }));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The municipality's id: given, or looked up by its 4-digit code in the registry's public list. */
export async function municipalityIdOf(registry: ServiceClient, given: string): Promise<string> {
  if (UUID.test(given)) return given;
  if (!/^\d{4}$/.test(given)) throw new Stop(`--municipality ${given}: give the municipality's id or its 4-digit code`, 2);
  const all = await registry.json<{ id: string; code: string }[]>("GET", "/municipalities");
  const found = all.find((m) => m.code === given);
  if (!found) throw new Stop(`no municipality with code ${given}: list them with GET ${registry.base}/municipalities`);
  return found.id;
}
