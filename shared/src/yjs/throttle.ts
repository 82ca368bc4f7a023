/**
 * A send window with a leading edge: the first request after a quiet spell runs at once (on the next
 * microtask, so that what one event handler changes together goes out together), and requests within
 * `windowMs` of the last run are merged into one run at the window's end. Runs are therefore at least
 * `windowMs` apart (at most 1000 / windowMs in any second) however fast requests come, and a change
 * waits at most `windowMs`.
 *
 * Our own rather than lodash's throttle: the provider needs `runNow()` (send what is pending before
 * leaving or unloading, and have that count as a run), a microtask leading edge rather than a
 * synchronous one, and an injectable clock for tests; lodash's has none of these.
 */
export class Throttle {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private microtask = false;
  private requested = false;
  private lastRun = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly run: () => void,
    /** Minimum spacing of runs, ms. 0: every request runs, merged only within the current tick. */
    public windowMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Something changed: run now if the window allows, else at its end. */
  request(): void {
    this.requested = true;
    if (this.timer || this.microtask) return;
    this.arm();
  }

  private arm(): void {
    const wait = this.lastRun + this.windowMs - this.now();
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = null;
        if (this.requested) this.fire();
      }, wait);
      return;
    }
    // setTimeout(0) would add >= 1 ms (4 ms when nested) to every leading-edge change.
    this.microtask = true;
    queueMicrotask(() => {
      this.microtask = false;
      // A runNow() in between may have sent it already, or started a new window.
      if (this.requested && !this.timer) {
        if (this.lastRun + this.windowMs - this.now() > 0) this.arm();
        else this.fire();
      }
    });
  }

  /** Run now if a run is pending; it counts as a run for the window. */
  runNow(): void {
    if (this.requested) this.fire();
  }

  /** Forget what is pending (the caller sends it some other way, or not at all). */
  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.requested = false;
  }

  get pending(): boolean {
    return this.requested;
  }

  private fire(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.requested = false;
    this.lastRun = this.now();
    this.run();
  }
}
