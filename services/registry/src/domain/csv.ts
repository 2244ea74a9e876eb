/**
 * A CSV file as offices save them (RFC 4180, and what spreadsheets write): a byte-order mark,
 * CRLF, LF or CR line ends, fields in double quotes holding commas, quotes (doubled) and line
 * breaks, and a semicolon instead of the comma where the header line uses it (a Russian
 * spreadsheet's default). Each record keeps the line it starts on, as the person counts lines,
 * so a refusal can name it.
 */
export interface CsvRecord {
  /** 1-based line of the file where the record begins. */
  line: number;
  cells: string[];
}

export type CsvResult = { ok: true; records: CsvRecord[] } | { ok: false; line: number; problem: "unclosed_quote" };

/** `,` or `;`: whichever the first line holds outside quotes more of (the comma on a tie). */
function delimiterOf(text: string): "," | ";" {
  let commas = 0;
  let semicolons = 0;
  let quoted = false;
  for (const char of text) {
    if (char === '"') quoted = !quoted;
    else if (!quoted && (char === "\n" || char === "\r")) break;
    else if (!quoted && char === ",") commas++;
    else if (!quoted && char === ";") semicolons++;
  }
  return semicolons > commas ? ";" : ",";
}

export function parseCsv(input: string): CsvResult {
  const text = input.startsWith("\uFEFF") ? input.slice(1) : input;
  const delimiter = delimiterOf(text);
  const records: CsvRecord[] = [];
  let cells: string[] = [];
  let cell = "";
  let line = 1;
  let recordLine = 1;
  let quoted = false;
  let i = 0;
  const endRecord = () => {
    cells.push(cell);
    // A line of empty cells is no record: spreadsheets leave them at the end (`,,,,`).
    if (cells.some((value) => value.trim() !== "")) records.push({ line: recordLine, cells });
    cells = [];
    cell = "";
  };
  while (i < text.length) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        if (char === "\n" || (char === "\r" && text[i + 1] !== "\n")) line++;
        cell += char;
      }
      i++;
      continue;
    }
    if (char === '"' && cell === "") {
      quoted = true;
    } else if (char === delimiter) {
      cells.push(cell);
      cell = "";
    } else if (char === "\r" || char === "\n") {
      if (char === "\r" && text[i + 1] === "\n") i++;
      endRecord();
      line++;
      recordLine = line;
    } else {
      cell += char;
    }
    i++;
  }
  if (quoted) return { ok: false, line: recordLine, problem: "unclosed_quote" };
  if (cell !== "" || cells.length > 0) endRecord();
  return { ok: true, records };
}
