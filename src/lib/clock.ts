/**
 * The time a Durable Object reads: the wall clock, plus an offset that tests advance instead of
 * sleeping (through `runInDurableObject`). Production never moves the offset.
 */
export class Clock {
  private offsetMs = 0;

  now(): number {
    return Date.now() + this.offsetMs;
  }

  /** Moves this object's time forward (tests only). */
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}
