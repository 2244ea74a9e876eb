import { writeFile } from "node:fs/promises";
import type { Actor } from "@kruzhok/actor";
import { ServiceClient, Stop, municipalityIdOf, tokenFor, type ServiceName } from "../client";

/** Where a command acts: one municipality (id or code), or a whole region by its code. */
export interface Scope {
  municipality?: string;
  region?: string;
}

export interface Connection {
  urls: Record<ServiceName, string>;
  token?: string;
  lang: string;
}

const out = (line: string) => process.stdout.write(`${line}\n`);

/** The scope resolved, and a client of `service` acting as the official of it (a development token unless one is given). */
async function officialClient(service: ServiceName, scope: Scope, connection: Connection, env: NodeJS.ProcessEnv): Promise<{ client: ServiceClient; municipalityId?: string }> {
  if (!scope.municipality && !scope.region) throw new Stop("give --municipality <id or code> or --region <code>", 2);
  let municipalityId: string | undefined;
  let actor: Actor;
  if (scope.municipality) {
    municipalityId = await municipalityIdOf(new ServiceClient("registry", connection.urls.registry, undefined, connection.lang), scope.municipality);
    actor = { subject: "cli-municipality", role: "municipality", municipalityId };
  } else {
    actor = { subject: "cli-region", role: "region", regionCode: scope.region };
  }
  const token = await tokenFor(connection.token, env, actor);
  return { client: new ServiceClient(service, connection.urls[service], token, connection.lang), ...(municipalityId && { municipalityId }) };
}

const query = (municipalityId: string | undefined) => (municipalityId ? `?municipalityId=${municipalityId}` : "");

/** `queues rebuild`: enrollment's Redis queue index copied again from Postgres. */
export async function rebuildQueues(scope: Scope, connection: Connection, env: NodeJS.ProcessEnv): Promise<number> {
  const { client, municipalityId } = await officialClient("enrollment", scope, connection, env);
  const result = await client.json<{ groups: number; entries: number }>("POST", `/queues/rebuild${query(municipalityId)}`);
  out(`queues rebuilt: ${result.groups} groups, ${result.entries} entries`);
  return 0;
}

/** `queues check`: the Redis index against Postgres, entry by entry; exit 1 when they differ. */
export async function checkQueues(scope: Scope, connection: Connection, env: NodeJS.ProcessEnv): Promise<number> {
  const { client, municipalityId } = await officialClient("enrollment", scope, connection, env);
  const result = await client.json<{ groups: number; entries: number; mismatches: { groupId: string; postgres: number; redis: number; firstDifference: number }[] }>(
    "GET",
    `/queues/check${query(municipalityId)}`,
  );
  out(`queues checked: ${result.groups} groups, ${result.entries} entries, ${result.mismatches.length} differ`);
  for (const m of result.mismatches) out(`group ${m.groupId}: Postgres ${m.postgres}, Redis ${m.redis}, first difference at position ${m.firstDifference}`);
  if (result.mismatches.length > 0) {
    process.stderr.write("kruzhok: the queue index differs from Postgres: run `kruzhok queues rebuild` with the same scope\n");
    return 1;
  }
  return 0;
}

/** `ledger verify`: payments' books of the municipality's year; exit 1 with the first violation. */
export async function verifyLedger(scope: Scope, year: number, connection: Connection, env: NodeJS.ProcessEnv): Promise<number> {
  if (!scope.municipality) throw new Stop("give --municipality <id or code>: the books are a municipality's", 2);
  const { client, municipalityId } = await officialClient("payments", scope, connection, env);
  const result = await client.json<{ holds: boolean; violation: string | null }>("GET", `/municipalities/${municipalityId}/years/${year}/books-check`);
  if (result.holds) {
    out(`ledger: municipality ${municipalityId} ${year}: the books hold`);
    return 0;
  }
  process.stderr.write(`kruzhok: the books of ${year} do not hold: ${result.violation ?? "unknown violation"}\n`);
  return 1;
}

async function save(path: string, body: Buffer): Promise<void> {
  try {
    await writeFile(path, body);
  } catch (error) {
    throw new Stop(`cannot write ${path} (${(error as NodeJS.ErrnoException).code ?? "error"}): check the folder`);
  }
}

/** `export registers`: each payment register of the municipality (of a month, if given) as a file. */
export async function exportRegisters(scope: Scope, options: { month?: string; format: "csv" | "xlsx" | "json"; dir: string }, connection: Connection, env: NodeJS.ProcessEnv): Promise<number> {
  if (!scope.municipality) throw new Stop("give --municipality <id or code>: registers are a municipality's", 2);
  const { client, municipalityId } = await officialClient("payments", scope, connection, env);
  const registers = await client.json<{ id: string; providerId: string; month: string; status: string }[]>(
    "GET",
    `/registers?municipalityId=${municipalityId}${options.month ? `&month=${options.month}` : ""}`,
  );
  for (const register of registers) {
    const answer = await client.send("GET", `/registers/${register.id}/export?format=${options.format}`, { headers: { accept: "*/*" } });
    const path = `${options.dir}/register-${register.month}-${register.id}.${options.format}`;
    await save(path, answer.body);
    out(`${path}  (${register.status})`);
  }
  out(`${registers.length} registers exported`);
  return 0;
}

/** `export statistics`: the monthly indicator report as of a date, CSV or XLSX. */
export async function exportStatistics(scope: Scope, options: { asOf: string; format: "csv" | "xlsx"; file?: string }, connection: Connection, env: NodeJS.ProcessEnv): Promise<number> {
  const { client, municipalityId } = await officialClient("statistics", scope, connection, env);
  const where = municipalityId ? `municipalityId=${municipalityId}` : `regionCode=${encodeURIComponent(scope.region ?? "")}`;
  const answer = await client.send("GET", `/statistics/report.${options.format}?${where}&asOf=${options.asOf}`, { headers: { accept: "*/*" } });
  const named = /filename="([^"]+)"/.exec(answer.headers.get("content-disposition") ?? "")?.[1];
  const path = options.file ?? named ?? `report-${options.asOf}.${options.format}`;
  await save(path, answer.body);
  out(`${path}  (${answer.body.length} bytes)`);
  return 0;
}
