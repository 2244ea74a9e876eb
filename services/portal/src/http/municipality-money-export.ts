// A register's export (CSV or XLSX) as payments made it, its bytes passed through unchanged.
import { request } from "node:http";
import { request as tlsRequest } from "node:https";
import type { Services } from "../api/client";
import { ServiceUnavailable } from "../api/client";

export interface Download {
  bytes: Buffer;
  contentType: string;
  contentDisposition: string | undefined;
}

const TIMEOUT_MS = 10_000;

/**
 * GET a payments document for the person (their token), as bytes: Services.callText decodes as
 * UTF-8, which would break an XLSX (a zip). Undefined when payments refuses (4xx). A download
 * is rare next to page calls, so it takes a socket of its own rather than the client's pool.
 */
export async function downloadFromPayments(services: Services, path: string, query: Record<string, string>, options: { token: string; language: string; requestId: string }): Promise<Download | undefined> {
  const url = new URL(path, services.urlOf("payments"));
  for (const [key, value] of Object.entries(query)) url.searchParams.append(key, value);
  const headers = { authorization: `Bearer ${options.token}`, "accept-language": options.language, "x-request-id": options.requestId };
  let answer: { status: number; headers: Record<string, string | string[] | undefined>; bytes: Buffer };
  try {
    answer = await new Promise((resolve, reject) => {
      const req = (url.protocol === "https:" ? tlsRequest : request)(url, { method: "GET", headers, timeout: TIMEOUT_MS }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes: Buffer.concat(chunks) }));
      });
      req.on("timeout", () => req.destroy(new Error(`no answer in ${TIMEOUT_MS} ms`)));
      req.on("error", reject);
      req.end();
    });
  } catch (error) {
    throw new ServiceUnavailable("payments", error);
  }
  if (answer.status >= 500) throw new ServiceUnavailable("payments", new Error(String(answer.status)));
  if (answer.status !== 200) return undefined;
  const disposition = answer.headers["content-disposition"];
  return {
    bytes: answer.bytes,
    contentType: String(answer.headers["content-type"] ?? "application/octet-stream"),
    contentDisposition: typeof disposition === "string" ? disposition : undefined,
  };
}
