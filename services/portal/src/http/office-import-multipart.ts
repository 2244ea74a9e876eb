// A form that uploads a file (multipart/form-data, RFC 7578), read for the one route that takes
// one: the portal's other forms are url-encoded and small (64 KB), a file of 10,000 children is
// megabytes. The text fields land in the body as every form's do (so the form token is checked
// the same way, before the handler); the file lands under a symbol, beside them but out of the
// http kit's per-field text check, which would refuse a whole file for one bad cell: the
// registry checks the file's cells row by row and reports each by line.

/** Where a parsed body keeps its uploaded files, by field name. */
export const FILES = Symbol("uploaded files");

export interface UploadedFile {
  fileName: string;
  content: Buffer;
}

export type MultipartBody = Record<string, string> & { [FILES]: Record<string, UploadedFile> };

/** The boundary of a multipart content type, or undefined when it names none. */
export function boundaryOf(contentType: string | undefined): string | undefined {
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? "");
  return match?.[1] ?? match?.[2];
}

const CRLF_CRLF = Buffer.from("\r\n\r\n");

/** The body's fields and files; throws a 400-status error for a body that is not multipart. */
export function parseMultipart(body: Buffer, boundary: string): MultipartBody {
  const fields: Record<string, string> = {};
  const files: Record<string, UploadedFile> = {};
  const delimiter = Buffer.from(`--${boundary}`);
  let at = body.indexOf(delimiter);
  if (at < 0) throw malformed("no part");
  for (;;) {
    const start = at + delimiter.length;
    // `--` after a delimiter ends the body.
    if (body[start] === 0x2d && body[start + 1] === 0x2d) break;
    const headersEnd = body.indexOf(CRLF_CRLF, start);
    if (headersEnd < 0) throw malformed("a part without headers");
    const next = body.indexOf(Buffer.concat([Buffer.from("\r\n"), delimiter]), headersEnd + 4);
    if (next < 0) throw malformed("a part that never ends");
    const headers = body.subarray(start, headersEnd).toString("utf8");
    const content = body.subarray(headersEnd + 4, next);
    const disposition = /content-disposition:\s*form-data([^\r\n]*)/i.exec(headers)?.[1] ?? "";
    const name = /;\s*name="([^"]*)"/i.exec(disposition)?.[1];
    const fileName = /;\s*filename="([^"]*)"/i.exec(disposition)?.[1];
    if (name !== undefined) {
      if (fileName !== undefined) files[name] = { fileName, content: Buffer.from(content) };
      else fields[name] = content.toString("utf8");
    }
    at = next + 2;
  }
  return Object.assign(fields, { [FILES]: files });
}

function malformed(what: string): Error {
  return Object.assign(new Error(`the multipart body is malformed: ${what}`), { statusCode: 400 });
}
