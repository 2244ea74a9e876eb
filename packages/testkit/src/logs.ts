import { Writable } from "node:stream";

/** Log lines captured in memory: a logger writes to `stream`; tests read `lines` (redaction checks). */
export interface CapturedLogs {
  lines: string[];
  stream: Writable;
}

export function captureLogs(): CapturedLogs {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, stream };
}
