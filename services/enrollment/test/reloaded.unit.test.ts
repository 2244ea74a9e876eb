import { describe, expect, it } from "vitest";
import { Reloaded, Serial } from "../src/usecases/reloaded";

/** A load that answers when told to, counting how often it was asked. */
function controlledLoad<V>() {
  const pending: { key: string; resolve: (value: V | undefined) => void; reject: (error: Error) => void }[] = [];
  return {
    pending,
    load: (key: string) => new Promise<V | undefined>((resolve, reject) => void pending.push({ key, resolve, reject })),
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("reference facts reloaded behind the lookups", () => {
  it("loads a key never held once, however many lookups ask for it meanwhile", async () => {
    const { pending, load } = controlledLoad<string>();
    const facts = new Reloaded(30_000, load, new Serial());
    const asked = Array.from({ length: 40 }, () => facts.get("g1", 1_000));
    expect(pending).toHaveLength(1);
    pending[0]!.resolve("Asia/Almaty");
    expect(await Promise.all(asked)).toEqual(Array(40).fill("Asia/Almaty"));
    expect(facts.fresh("g1", 1_000 + 30_000)).toBe("Asia/Almaty");
    expect(facts.fresh("g1", 1_000 + 30_001)).toBeUndefined();
  });

  it("answers the value held once it has aged, while one reload runs; the reload's value after it", async () => {
    const { pending, load } = controlledLoad<string>();
    const facts = new Reloaded(30_000, load, new Serial());
    const first = facts.get("m1", 0);
    pending[0]!.resolve("old");
    await first;
    const aged = await Promise.all(Array.from({ length: 40 }, () => facts.get("m1", 30_001)));
    expect(aged).toEqual(Array(40).fill("old"));
    expect(pending).toHaveLength(2);
    pending[1]!.resolve("new");
    await settle();
    expect(facts.fresh("m1", 30_001)).toBe("new");
    expect(await facts.get("m1", 60_001)).toBe("new");
    expect(pending).toHaveLength(2);
  });

  it("keeps the aged value when a reload fails, and the next lookup that finds it aged tries again", async () => {
    const { pending, load } = controlledLoad<string>();
    const facts = new Reloaded(30_000, load, new Serial());
    const first = facts.get("m1", 0);
    pending[0]!.resolve("held");
    await first;
    expect(await facts.get("m1", 40_000)).toBe("held");
    pending[1]!.reject(new Error("connection terminated"));
    await settle();
    expect(await facts.get("m1", 40_001)).toBe("held");
    expect(pending).toHaveLength(3);
    pending[2]!.resolve("reloaded");
    await settle();
    expect(await facts.get("m1", 40_002)).toBe("reloaded");
  });

  it("holds nothing for a key the load does not know, and asks again next time", async () => {
    const { pending, load } = controlledLoad<string>();
    const facts = new Reloaded(30_000, load, new Serial());
    const unknown = facts.get("g-new", 0);
    pending[0]!.resolve(undefined);
    expect(await unknown).toBeUndefined();
    const again = facts.get("g-new", 1);
    expect(pending).toHaveLength(2);
    pending[1]!.resolve("Europe/Moscow");
    expect(await again).toBe("Europe/Moscow");
  });

  it("drops a held value whose reload finds nothing (its fact is gone), and asks again next time", async () => {
    const { pending, load } = controlledLoad<string>();
    const facts = new Reloaded(30_000, load, new Serial());
    const first = facts.get("g-gone", 0);
    pending[0]!.resolve("Asia/Almaty");
    await first;
    expect(await facts.get("g-gone", 30_001)).toBe("Asia/Almaty");
    pending[1]!.resolve(undefined);
    await settle();
    expect(facts.fresh("g-gone", 30_001)).toBeUndefined();
    const after = facts.get("g-gone", 30_002);
    expect(pending).toHaveLength(3);
    pending[2]!.resolve(undefined);
    expect(await after).toBeUndefined();
  });

  it("lets a lookup of a key never held see the load's failure", async () => {
    const { pending, load } = controlledLoad<string>();
    const facts = new Reloaded(30_000, load, new Serial());
    const asked = facts.get("g1", 0);
    pending[0]!.reject(new Error("connection terminated"));
    await expect(asked).rejects.toThrow("connection terminated");
    const again = facts.get("g1", 1);
    expect(pending).toHaveLength(2);
    pending[1]!.resolve("Asia/Almaty");
    expect(await again).toBe("Asia/Almaty");
  });

  it("reloads aged facts one after another, not all at once, answering the aged values meanwhile", async () => {
    const { pending, load } = controlledLoad<string>();
    const reloads = new Serial();
    const facts = new Reloaded(30_000, load, reloads);
    const firsts = ["g1", "g2", "g3"].map((key) => facts.get(key, 0));
    expect(pending).toHaveLength(3);
    pending.forEach((p) => p.resolve(`${p.key} old`));
    await Promise.all(firsts);
    expect(await Promise.all(["g1", "g2", "g3"].map((key) => facts.get(key, 40_000)))).toEqual(["g1 old", "g2 old", "g3 old"]);
    await settle();
    expect(pending.map((p) => p.key)).toEqual(["g1", "g2", "g3", "g1"]);
    pending[3]!.reject(new Error("connection terminated"));
    await settle();
    expect(pending.map((p) => p.key)).toEqual(["g1", "g2", "g3", "g1", "g2"]);
    pending[4]!.resolve("g2 new");
    await settle();
    expect(pending.map((p) => p.key)).toEqual(["g1", "g2", "g3", "g1", "g2", "g3"]);
    pending[5]!.resolve("g3 new");
    await settle();
    expect([facts.fresh("g1", 40_000), facts.fresh("g2", 40_000), facts.fresh("g3", 40_000)]).toEqual([undefined, "g2 new", "g3 new"]);
  });
});
