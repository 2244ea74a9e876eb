import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ExcelJS from "exceljs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runKruzhok } from "@kruzhok/testkit";
import { issue, municipality } from "./fixtures/world";
import { statisticsHarness, type StatisticsHarness } from "./fixtures/statistics";

interface Cells {
  cells: { scope: string; municipalityId: string | null; regionCode: string; period: string; start: string; measure: string; dims: Record<string, string>; value: number | null; suppressed: boolean }[];
}


const HANDLER_TIMEOUT_MS = 4_000;

describe("reading the aggregates: exports, the report, the live stream, and who may see what", () => {
  let h: StatisticsHarness;
  let komi: string;
  let vorkuta: string;
  let kamchatka: string;

  beforeAll(async () => {
    // A handler timeout the stream test can outwait (60 s in production), long enough for every other request here.
    h = await statisticsHarness("stat-http", { clockStart: "2026-09-01T08:00:00Z", handlerTimeoutMs: HANDLER_TIMEOUT_MS });
    komi = await municipality(h, "11");
    vorkuta = await municipality(h, "11");
    kamchatka = await municipality(h, "41", 5_000, undefined, "Asia/Kamchatka");
    await issue(h, komi, 12);
    await issue(h, vorkuta, 15);
    await issue(h, kamchatka, 11);
    h.clock.set("2026-09-02T08:00:00Z");
    await issue(h, komi, 3);
    await h.publish();
  });
  afterAll(async () => {
    await h.close();
  });

  // The app listens once, for the tests that need a real connection (the command line, the stream).
  let listeningAt: Promise<string> | undefined;
  const listening = () => (listeningAt ??= h.app.listen({ host: "127.0.0.1", port: 0 }));
  const get = async (url: string, who?: Parameters<StatisticsHarness["as"]>[0]) => h.app.inject({ method: "GET", url, headers: who ? await h.as(who) : {} });
  const certified = (body: Cells) => body.cells.filter((c) => c.measure === "coverage.certified" && c.period === "month");

  it("gives the ministry every municipality and region, as JSON and as CSV", async () => {
    const res = await get("/statistics/cells?period=month&measure=coverage.certified", { role: "ministry", allRegions: true });
    expect(res.statusCode).toBe(200);
    const byScope = Object.fromEntries(certified(res.json<Cells>()).map((c) => [c.scope === "region" ? `region ${c.regionCode}` : c.municipalityId!, c.value]));
    expect(byScope).toEqual({ [komi]: 15, [vorkuta]: 15, [kamchatka]: 11, "region 11": 30, "region 41": 11 });

    const csv = await get("/statistics/cells.csv?period=day&from=2026-09-02&to=2026-09-02&measure=certificates", { role: "ministry", allRegions: true });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers["content-type"]).toMatch(/^text\/csv/);
    const lines = csv.body.trim().split("\r\n");
    expect(lines[0]).toBe("scope,municipalityId,regionCode,period,start,measure,dims,value,suppressed");
    expect(lines).toContain(`municipality,${komi},11,day,2026-09-02,certificates,"ageBand=11-14;status=accounting",15,false`);
    expect(lines.every((line) => !/,[1-9],false$/.test(line))).toBe(true); // no count under 10 shows
  });

  it("gives a region official or a regional ministry their region, a municipality its own cells, others nothing", async () => {
    for (const official of [{ role: "region", regionCode: "11" }, { role: "ministry", regionCode: "11" }] as const) {
      const region = await get("/statistics/cells?period=month&measure=coverage.certified", official);
      expect(region.statusCode).toBe(200);
      expect(new Set(certified(region.json<Cells>()).map((c) => c.regionCode))).toEqual(new Set(["11"]));
      const elsewhere = await get("/statistics/cells?regionCode=41", official);
      expect([elsewhere.statusCode, elsewhere.json<{ code: string }>().code]).toEqual([403, "AUTH.OTHER_REGION"]);
      const foreign = await get(`/statistics/cells?municipalityId=${kamchatka}`, official);
      expect([foreign.statusCode, foreign.json<{ code: string }>().code]).toEqual([403, "AUTH.OTHER_REGION"]);
      const stream = await get("/statistics/report?asOf=2026-09-02&regionCode=41", official);
      expect([stream.statusCode, stream.json<{ code: string }>().code]).toEqual([403, "AUTH.OTHER_REGION"]);
    }

    const own = await get("/statistics/cells?period=month&measure=coverage.certified", { role: "municipality", municipalityId: komi });
    expect(certified(own.json<Cells>()).map((c) => [c.scope, c.municipalityId, c.value])).toEqual([["municipality", komi, 15]]);
    const other = await get(`/statistics/cells?municipalityId=${vorkuta}`, { role: "municipality", municipalityId: komi });
    expect([other.statusCode, other.json<{ code: string }>().code]).toEqual([403, "AUTH.OTHER_MUNICIPALITY"]);
    const itsRegion = await get("/statistics/cells?regionCode=11", { role: "municipality", municipalityId: komi });
    expect([itsRegion.statusCode, itsRegion.json<{ code: string }>().code]).toEqual([403, "STATISTICS.OTHER_REGION"]);

    for (const who of [{ role: "guardian", municipalityId: komi, guardianId: komi }, { role: "provider", municipalityId: komi, providerId: komi }, { role: "operator", municipalityId: komi }] as const) {
      for (const url of ["/statistics/cells", "/statistics/cells.csv", `/statistics/report?asOf=2026-09-02&municipalityId=${komi}`, "/statistics/stream"]) {
        const res = await get(url, who);
        expect([who.role, url, res.statusCode, res.json<{ code: string }>().code]).toEqual([who.role, url, 403, "AUTH.FORBIDDEN_ROLE"]);
      }
    }
    const stream = await get("/statistics/stream", { role: "municipality", municipalityId: komi });
    expect([stream.statusCode, stream.json<{ code: string }>().code]).toEqual([403, "AUTH.FORBIDDEN_ROLE"]);
    expect((await get("/statistics/cells")).statusCode).toBe(401);
    const inverted = await get("/statistics/cells?from=2026-09-03&to=2026-09-01", { role: "ministry", allRegions: true });
    expect([inverted.statusCode, inverted.json<{ code: string }>().code]).toEqual([422, "STATISTICS.PERIOD_INVERTED"]);
  });

  it("files the monthly indicator report as of any date", async () => {
    const first = await get(`/statistics/report?asOf=2026-09-01&municipalityId=${komi}`, { role: "ministry", allRegions: true });
    expect(first.statusCode).toBe(200);
    const indicator = (body: { indicators: Cells["cells"] }, measure: string) => body.indicators.find((c) => c.measure === measure && Object.keys(c.dims).length === 0);
    expect(indicator(first.json(), "coverage.certified")).toMatchObject({ value: 12, period: "month", start: "2026-09-01" });
    expect(indicator(first.json(), "coverage.certified.share")).toMatchObject({ value: 0.0012 });
    const second = await get(`/statistics/report?asOf=2026-09-02&municipalityId=${komi}`, { role: "municipality", municipalityId: komi });
    expect(indicator(second.json(), "coverage.certified")).toMatchObject({ value: 15 });
    const regional = await get("/statistics/report?asOf=2026-09-02", { role: "region", regionCode: "11" });
    expect(regional.json<{ scope: string; indicators: Cells["cells"] }>().scope).toBe("region");
    expect(indicator(regional.json(), "coverage.certified")).toMatchObject({ value: 30, scope: "region" });
    const unscoped = await get("/statistics/report?asOf=2026-09-02", { role: "ministry", allRegions: true });
    expect([unscoped.statusCode, unscoped.json<{ code: string }>().code]).toEqual([422, "STATISTICS.SCOPE_REQUIRED"]);
  });

  it("files the same report as CSV and XLSX, suppressed values empty and marked, for the same readers only", async () => {
    const json = await get(`/statistics/report?asOf=2026-09-02&municipalityId=${komi}`, { role: "region", regionCode: "11" });
    const indicators = json.json<{ indicators: Cells["cells"] }>().indicators;
    const csv = await get(`/statistics/report.csv?asOf=2026-09-02&municipalityId=${komi}`, { role: "region", regionCode: "11" });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers["content-type"]).toMatch(/^text\/csv/);
    expect(csv.headers["content-disposition"]).toBe(`attachment; filename="indicators-${komi}-2026-09-02.csv"`);
    const lines = csv.body.trim().split("\r\n");
    expect(lines[0]).toBe("as_of,month,scope,region,municipality,measure,dims,value,suppressed");
    expect(lines).toHaveLength(indicators.length + 1);
    expect(lines).toContain(`2026-09-02,2026-09-01,municipality,11,${komi},coverage.certified,,15,false`);

    // A municipality of its own region with 3 children: their counts are suppressed, and the file
    // says so with an empty value, never 0 or 3.
    const small = await municipality(h, "12");
    await issue(h, small, 3);
    await h.publish();
    const smallCsv = await get(`/statistics/report.csv?asOf=2026-09-02&municipalityId=${small}`, { role: "region", regionCode: "12" });
    const smallLines = smallCsv.body.trim().split("\r\n");
    expect(smallLines).toContain(`2026-09-02,2026-09-01,municipality,12,${small},coverage.certified,,,true`);
    expect(smallLines).toContain(`2026-09-02,2026-09-01,municipality,12,${small},certificates,ageBand=*;status=*,,true`);
    for (const line of smallLines.slice(1)) {
      const cells = line.split(",");
      if (cells.at(-1) === "true") expect(cells.at(-2)).toBe("");
      expect(cells.at(-2)).not.toBe("3");
    }

    const xlsx = await get(`/statistics/report.xlsx?asOf=2026-09-02&regionCode=11`, { role: "ministry", allRegions: true });
    expect(xlsx.statusCode).toBe(200);
    expect(xlsx.headers["content-type"]).toBe("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    expect(xlsx.headers["content-disposition"]).toBe('attachment; filename="indicators-region-11-2026-09-02.xlsx"');
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
    const sheet = workbook.worksheets[0]!;
    expect(sheet.name).toBe("2026-09");
    const rows = sheet.getSheetValues().slice(2) as unknown[][];
    const certified = rows.find((row) => row[6] === "coverage.certified" && row[7] === undefined);
    // A number stays a number: 15 + 15 children of the region's two municipalities.
    expect(certified?.slice(1)).toEqual(["2026-09-02", "2026-09-01", "region", "11", undefined, "coverage.certified", undefined, 30, "false"]);
    expect(rows).toHaveLength((await get("/statistics/report?asOf=2026-09-02&regionCode=11", { role: "ministry", allRegions: true })).json<{ indicators: unknown[] }>().indicators.length);

    for (const [url, who, status, code] of [
      ["/statistics/report.csv?asOf=2026-09-02&regionCode=41", { role: "region", regionCode: "11" }, 403, "AUTH.OTHER_REGION"],
      [`/statistics/report.xlsx?asOf=2026-09-02&municipalityId=${kamchatka}`, { role: "region", regionCode: "11" }, 403, "AUTH.OTHER_REGION"],
      [`/statistics/report.xlsx?asOf=2026-09-02&municipalityId=${komi}`, { role: "operator", municipalityId: komi }, 403, "AUTH.FORBIDDEN_ROLE"],
      ["/statistics/report.csv?asOf=2026-09-02", { role: "ministry", allRegions: true }, 422, "STATISTICS.SCOPE_REQUIRED"],
    ] as const) {
      const res = await get(url, who);
      expect([url, res.statusCode, res.json<{ code: string }>().code]).toEqual([url, status, code]);
    }
    expect((await get("/statistics/report.csv?asOf=2026-02-30&regionCode=11", { role: "region", regionCode: "11" })).statusCode).toBe(400);
    expect((await get("/statistics/report.xlsx?asOf=2026-09-02")).statusCode).toBe(401);
  });

  it("files the report from the operator's command line, `kruzhok export statistics`, as the API gives it", { timeout: 60_000 }, async () => {
    const url = await listening();
    const dir = await mkdtemp(join(tmpdir(), "kruzhok-report-"));
    const token = (await h.as({ role: "region", regionCode: "11" })).authorization.replace(/^Bearer /, "");
    const run = (...args: string[]) => runKruzhok(["--statistics-url", url, "--token", token, ...args], { cwd: dir });
    const filed = await run("export", "statistics", "--region", "11", "--as-of", "2026-09-02");
    expect(filed.code, filed.stderr).toBe(0);
    expect(filed.stdout).toMatch(/^indicators-region-11-2026-09-02\.csv {2}\(\d+ bytes\)\n$/);
    const api = await get("/statistics/report.csv?asOf=2026-09-02&regionCode=11", { role: "region", regionCode: "11" });
    expect(await readFile(join(dir, "indicators-region-11-2026-09-02.csv"), "utf8")).toBe(api.body);

    const foreign = await run("export", "statistics", "--region", "41", "--as-of", "2026-09-02");
    expect(foreign.code).toBe(1);
    expect(foreign.stderr).toMatch(/^kruzhok: .+ \[AUTH\.OTHER_REGION\]\n$/);
  });

  it("streams a snapshot, then every change, over Server-Sent Events", async () => {
    const address = await listening();
    const abort = new AbortController();
    const res = await fetch(`${address}/statistics/stream?regionCode=41&period=month`, { headers: await h.as({ role: "ministry", allRegions: true }), signal: abort.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    const nextEvent = async (): Promise<{ event: string; data: Cells }> => {
      for (;;) {
        const end = buffer.indexOf("\n\n");
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (block.startsWith(":")) continue;
          const event = /^event: (.*)$/m.exec(block)![1]!;
          return { event, data: JSON.parse(/^data: (.*)$/m.exec(block)![1]!) as Cells };
        }
        const { value, done } = await reader.read();
        if (done) throw new Error("stream ended");
        buffer += decoder.decode(value, { stream: true });
      }
    };
    const snapshot = await nextEvent();
    expect(snapshot.event).toBe("snapshot");
    expect(new Set(snapshot.data.cells.map((c) => c.regionCode))).toEqual(new Set(["41"]));
    expect(certified(snapshot.data).find((c) => c.scope === "region")?.value).toBe(11);
    // Longer than the app's handler timeout, which counts until the response ends: the stream is
    // still open (Fastify's handlerTimeout cut every stream after 60 s until STREAM_HANDLER_TIMEOUT_MS).
    await new Promise((resolve) => setTimeout(resolve, HANDLER_TIMEOUT_MS + 1_000));

    await issue(h, kamchatka, 2);
    await issue(h, komi, 5); // another region: not on this stream
    await h.publish();
    const change = await nextEvent();
    expect(change.event).toBe("cells");
    expect(new Set(change.data.cells.map((c) => c.regionCode))).toEqual(new Set(["41"]));
    expect(certified(change.data).find((c) => c.scope === "region")?.value).toBe(13);
    abort.abort();
  });
});
