/** A settable clock: tests move time instead of faking timers. Services take `() => Date`. */
export interface TestClock {
  (): Date;
  set(iso: string): void;
}

export function testClock(start = "2026-09-01T09:00:00Z"): TestClock {
  let now = new Date(start);
  const clock = (() => new Date(now)) as TestClock;
  clock.set = (iso) => {
    now = new Date(iso);
  };
  return clock;
}
