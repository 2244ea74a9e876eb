// The municipalities, as every page names them (their zone and currency too): read from the
// registry's public list and kept a minute, since they change a few times a year.
import type { Services } from "./client";
import type { Municipality } from "./types";

const TTL_MS = 60_000;

export class Directory {
  private cached: { at: number; list: Municipality[] } | undefined;

  constructor(private readonly services: Services) {}

  async municipalities(): Promise<Municipality[]> {
    const now = Date.now();
    if (this.cached && now - this.cached.at < TTL_MS) return this.cached.list;
    const answer = await this.services.call<Municipality[]>("registry", "GET", "/municipalities", { language: "ru" });
    const list = answer.ok ? [...answer.body].sort((a, b) => a.name.localeCompare(b.name, "ru")) : [];
    if (answer.ok) this.cached = { at: now, list };
    return list;
  }

  async municipality(id: string): Promise<Municipality | undefined> {
    return (await this.municipalities()).find((m) => m.id === id);
  }
}
