import { describe, expect, it } from "vitest";
import { ListeningWorkers } from "../src/cluster";

// A service's workers are ready only once every one of them listens: before that, the primary
// deals every connection to the ones that do, and keep-alive connections stay there.
describe("the primary's tally of listening workers", () => {
  it("tells no worker until the last one listens, then every one that does", () => {
    const tally = new ListeningWorkers(2);
    expect(tally.listening(1)).toEqual([]);
    expect(tally.listening(2)).toEqual([1, 2]);
  });

  it("tells a worker that listens later (one that replaced a dead one) at once, and no one else", () => {
    const tally = new ListeningWorkers(2);
    tally.listening(1);
    tally.listening(2);
    tally.exited(1);
    expect(tally.listening(3)).toEqual([3]);
  });

  it("does not count a worker that died before the others listened", () => {
    const tally = new ListeningWorkers(2);
    expect(tally.listening(1)).toEqual([]);
    tally.exited(1);
    expect(tally.listening(3)).toEqual([]);
    expect(tally.listening(2)).toEqual([3, 2]);
  });
});
