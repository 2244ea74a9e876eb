import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { processChildImports } from "../src/usecases/child-imports";
import { csvOf, generatedRows, badLinesOf, importBody, type ImportRowCells } from "./fixtures/child-import-file";
import { birthCertificateNumber, countRows, createMunicipality, passportNumber, registryHarness, snapshot, type RegistryHarness } from "./fixtures/registry";

interface ImportView {
  id: string;
  status: "processing" | "done";
  total: number;
  processed: number;
  created: number;
  present: number;
  bad: number;
  contentHash: string;
  badRows: { line: number; field: string | null; rule: string; reason: string }[];
}

// A municipality's office imports children from a CSV file: every row is registered as the
// office's single registration would be, refused rows are reported by line, and the same file
// twice registers nobody twice.
describe("bulk import of children from a CSV file", () => {
  let h: RegistryHarness;
  let municipalityId: string;
  let operator: Record<string, string>;
  beforeAll(async () => {
    h = await registryHarness("reg-child-imports");
    ({ id: municipalityId } = await createMunicipality(h));
    operator = await h.as({ role: "operator", municipalityId, subject: "operator-importer" });
  });
  afterAll(async () => {
    await h.close();
  });

  const deps = () => ({ pool: h.pool, clock: h.clock });
  const start = async (csv: string, headers: Record<string, string> = operator, to = municipalityId) =>
    h.app.inject({ method: "POST", url: `/municipalities/${to}/child-imports`, headers: { ...headers, "accept-language": "ru" }, payload: importBody(csv) });
  const report = async (id: string, language = "ru") =>
    (await h.app.inject({ method: "GET", url: `/child-imports/${id}`, headers: { ...operator, "accept-language": language } })).json<ImportView>();

  const family = (overrides: ImportRowCells = {}): ImportRowCells => ({
    lastName: "Загрузкина",
    firstName: "Анна",
    birthDate: "2016-03-14",
    documentKind: "birth_certificate",
    documentNumber: birthCertificateNumber(),
    guardianLastName: "Загрузкина",
    guardianFirstName: "Ольга",
    guardianDocumentKind: "passport",
    guardianDocumentNumber: passportNumber(),
    ...overrides,
  });

  it("registers the good rows, reports the bad ones by line, column and rule, and counts a child present twice once", async () => {
    const mother = passportNumber();
    const first = family({ guardianDocumentNumber: mother, patronymic: "Игоревна", guardianPhone: "+7 (900) 123-45-67" });
    const rows: ImportRowCells[] = [
      first, // line 2
      family({ guardianDocumentNumber: mother, firstName: "Пётр", birthDate: "14.03.2014" }), // line 3: a sibling, the same guardian
      family({ documentNumber: "IV-АБ 12" }), // line 4: not a birth certificate number
      family({ firstName: "" }), // line 5: no first name
      family({ birthDate: "2016-02-30" }), // line 6: no such day
      { ...first }, // line 7: the child of line 2 again
      family({ patronymic: "Иванович,\nмладший" }), // lines 8-9: a quoted cell with a comma and a line break
      family({ firstName: "Аnnа" }), // line 10: Latin letters in a Cyrillic name
      family({ birthDate: "1990-01-01" }), // line 11: an adult
    ];
    const started = await start(csvOf(rows));
    expect(started.statusCode, started.body).toBe(201);
    const view = started.json<ImportView>();
    // The field rules refuse their rows as the file is read; the registration's wait for the worker.
    expect(view).toMatchObject({ status: "processing", total: 9, processed: 3, created: 0, bad: 3 });

    expect(await processChildImports(deps())).toBe(6);
    const done = await report(view.id);
    expect(done).toMatchObject({ status: "done", total: 9, processed: 9, created: 3, present: 1, bad: 5 });
    expect(done.badRows.map(({ line, field, rule }) => ({ line, field, rule }))).toEqual([
      { line: 4, field: "documentNumber", rule: "REGISTRY.DOCUMENT_INVALID" },
      { line: 5, field: "firstName", rule: "required" },
      { line: 6, field: "birthDate", rule: "invalid_format" },
      { line: 10, field: "firstName", rule: "text" },
      { line: 11, field: "birthDate", rule: "REGISTRY.BIRTH_DATE_IMPLAUSIBLE" },
    ]);
    // Each reason in the person's language.
    expect(done.badRows[0]!.reason).toBe("Номер документа не соответствует его виду: проверьте вид документа и номер.");
    expect(done.badRows[1]!.reason).toContain("обязательное поле");
    expect((await report(view.id, "kk")).badRows[1]!.reason).toContain("міндетті өріс");
    expect((await report(view.id, "en")).badRows[0]!.reason).toContain("is not a birth certificate number");

    // The siblings share one guardian; the trail says the import was the basis.
    const { rows: siblings } = await h.pool.query<{ n: number }>(
      "SELECT count(DISTINCT cg.guardian_id)::int AS n FROM children c JOIN child_guardians cg ON cg.child_id = c.id WHERE c.municipality_id = $1",
      [municipalityId],
    );
    expect(siblings[0]!.n).toBe(2);
    const { rows: trail } = await h.pool.query<{ action: string; basis_kind: string; basis_reference: string; actor_subject: string }>(
      "SELECT action, basis_kind, basis_reference, actor_subject FROM family_audit WHERE municipality_id = $1 ORDER BY at, action",
      [municipalityId],
    );
    expect(trail).toHaveLength(5);
    expect(trail.every((entry) => entry.basis_kind === "written_request" && entry.basis_reference === `import ${view.id}` && entry.actor_subject === "operator-importer")).toBe(true);
    // A done row keeps no personal field.
    expect(await h.pool.query("SELECT 1 FROM child_import_rows WHERE import_id = $1 AND cells IS NOT NULL", [view.id])).toMatchObject({ rowCount: 0 });
  });

  it("imports the same file a second time without registering anyone twice: they are present, the bad rows the same", async () => {
    const csv = csvOf(generatedRows(200, 3_100_000));
    const first = (await start(csv)).json<ImportView>();
    await processChildImports(deps());
    const once = await report(first.id);
    expect(once).toMatchObject({ status: "done", total: 200, created: 194, present: 0, bad: 6 });
    const children = await countRows(h.pool, "children");

    const again = (await start(csv)).json<ImportView>();
    expect(again.id).not.toBe(first.id);
    expect(again.contentHash).toBe(first.contentHash);
    await processChildImports(deps());
    const twice = await report(again.id);
    expect(twice).toMatchObject({ status: "done", total: 200, created: 0, present: 194, bad: 6 });
    expect(twice.badRows).toEqual(once.badRows);
    expect(twice.badRows.map(({ line, field }) => ({ line, field }))).toEqual(badLinesOf(200));
    expect(await countRows(h.pool, "children")).toBe(children);
  });

  it("a worker that dies mid-batch loses nothing and doubles nothing; two workers share an import", async () => {
    const csv = csvOf(generatedRows(300, 3_200_000));
    const started = (await start(csv)).json<ImportView>();
    const children = await countRows(h.pool, "children");

    // One batch, then a worker killed inside its transaction: what it did rolls back.
    expect(await processChildImports(deps(), { batch: 50, maxBatches: 1, workers: 1 })).toBe(50);
    // 50 by the worker, and the 6 rows the field rules refused as the file was read.
    expect(await report(started.id)).toMatchObject({ status: "processing", processed: 56 });
    const dying = await h.pool.connect();
    await dying.query("BEGIN");
    const { rows: claimed } = await dying.query("SELECT line FROM child_import_rows WHERE import_id = $1 AND outcome IS NULL ORDER BY line LIMIT 20 FOR UPDATE SKIP LOCKED", [started.id]);
    expect(claimed).toHaveLength(20);
    // Two workers go on meanwhile, skipping the dying worker's locked rows.
    await Promise.all([processChildImports(deps(), { batch: 40, maxBatches: 2 }), processChildImports(deps(), { batch: 40, maxBatches: 2 })]);
    // The worker dies: Postgres rolls its transaction back (said here at once, rather than
    // waiting for the server to notice a closed socket).
    await dying.query("ROLLBACK");
    dying.release(true);
    await processChildImports(deps());

    const done = await report(started.id);
    expect(done).toMatchObject({ status: "done", total: 300, processed: 300, created: 291, present: 0, bad: 9 });
    expect(await countRows(h.pool, "children")).toBe(children + 291);
    expect(done.badRows.map(({ line, field }) => ({ line, field }))).toEqual(badLinesOf(300));
  });

  it("refuses a row whose child or guardian is registered in another municipality, naming the document", async () => {
    const { id: neighbour } = await createMunicipality(h);
    const theirs = family();
    const inNeighbour = await start(csvOf([theirs]), await h.as({ role: "municipality", municipalityId: neighbour }), neighbour);
    expect(inNeighbour.statusCode, inNeighbour.body).toBe(201);
    await processChildImports(deps());
    const rows = [family({ documentNumber: theirs.documentNumber }), family({ guardianDocumentNumber: theirs.guardianDocumentNumber })];
    const started = (await start(csvOf(rows))).json<ImportView>();
    await processChildImports(deps());
    expect((await report(started.id)).badRows.map(({ line, field, rule }) => ({ line, field, rule }))).toEqual([
      { line: 2, field: "documentNumber", rule: "REGISTRY.CHILD_ALREADY_REGISTERED" },
      { line: 3, field: "guardianDocumentNumber", rule: "AUTH.OTHER_MUNICIPALITY" },
    ]);
  });

  it("refuses a file it cannot read, naming why, and writes nothing", async () => {
    const before = await snapshot(h.pool);
    const imports = await countRows(h.pool, "child_imports");
    const header = await start("lastName,firstName,birthDate\r\nИванова,Анна,2016-01-01\r\n");
    expect(header.statusCode).toBe(422);
    expect(header.json()).toMatchObject({ code: "REGISTRY.IMPORT_HEADER_INVALID", invalidParams: [{ name: "body.content" }] });
    expect((await start(csvOf([]))).json()).toMatchObject({ code: "REGISTRY.IMPORT_EMPTY" });
    expect((await start(`${csvOf([family()])}"unclosed,`)).json()).toMatchObject({ code: "REGISTRY.IMPORT_FILE_UNREADABLE" });
    const latin1 = await h.app.inject({
      method: "POST",
      url: `/municipalities/${municipalityId}/child-imports`,
      headers: operator,
      payload: { fileName: "cp1251.csv", content: [Buffer.from([0xc8, 0xe2, 0xe0, 0xed]).toString("base64")] },
    });
    expect(latin1.json()).toMatchObject({ code: "REGISTRY.IMPORT_FILE_UNREADABLE" });
    const tooMany = csvOf(generatedRows(10_001, 3_300_000));
    expect((await start(tooMany)).json()).toMatchObject({ code: "REGISTRY.IMPORT_TOO_MANY_ROWS" });
    expect(await snapshot(h.pool)).toEqual(before);
    expect(await countRows(h.pool, "child_imports")).toBe(imports);
  });

  it("is the office's of the municipality only", async () => {
    const { id: neighbour } = await createMunicipality(h);
    const csv = csvOf([family()]);
    expect((await start(csv, await h.as({ role: "operator", municipalityId: neighbour }))).statusCode).toBe(403);
    expect((await start(csv, await h.as({ role: "guardian", municipalityId, guardianId: crypto.randomUUID() }))).statusCode).toBe(403);
    expect((await start(csv, await h.as({ role: "region", regionCode: "41" }))).statusCode).toBe(403);
    const mine = (await start(csv, await h.as({ role: "municipality", municipalityId }))).json<ImportView>();
    const foreign = await h.app.inject({ method: "GET", url: `/child-imports/${mine.id}`, headers: await h.as({ role: "operator", municipalityId: neighbour }) });
    expect(foreign.statusCode).toBe(403);
    const listed = await h.app.inject({ method: "GET", url: `/municipalities/${municipalityId}/child-imports`, headers: operator });
    expect(listed.json<{ id: string }[]>().map((i) => i.id)).toContain(mine.id);
  });
});
