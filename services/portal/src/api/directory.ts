// The municipalities, as every page names them (their zone and currency too): read from the
// registry's public list and kept a minute, since they change a few times a year.
import { ServiceUnavailable, type Services } from "./client";
import type { Municipality } from "./types";

const TTL_MS = 60_000;
const RETRY_MS = 5_000;

export class Directory {
  private cached: { at: number; list: Municipality[] } | undefined;

  constructor(private readonly services: Services) {}

  async municipalities(): Promise<Municipality[]> {
    const now = Date.now();
    if (this.cached && now - this.cached.at < TTL_MS) return this.cached.list;
    try {
      const answer = await this.services.call<Municipality[]>("registry", "GET", "/municipalities", { language: "ru" });
      const list = answer.ok ? [...answer.body].sort((a, b) => a.name.localeCompare(b.name, "ru")) : [];
      if (answer.ok) this.cached = { at: now, list };
      return list;
    } catch (error) {
      // The registry down takes no page with it: the last list, or none (the navigator then
      // searches every municipality), asked for again after a few seconds rather than by every page.
      if (!(error instanceof ServiceUnavailable)) throw error;
      const list = this.cached?.list ?? [];
      this.cached = { at: now - TTL_MS + RETRY_MS, list };
      return list;
    }
  }

  async municipality(id: string): Promise<Municipality | undefined> {
    return (await this.municipalities()).find((m) => m.id === id);
  }
}
