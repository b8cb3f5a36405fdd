// One scheduler per page for everything the console re-reads by itself. It starts at most one request per
// second and never two at once, whatever the page shows, and waits while the tab is hidden.

const MIN_GAP_MS = 1000;

export class Poller {
  #jobs = new Map();
  #timer = null;
  #running = false;
  #lastStart = -Infinity;
  #stopped = false;
  #onVisible = () => this.#schedule();

  constructor() {
    document.addEventListener('visibilitychange', this.#onVisible);
  }

  /** Runs `task` (async) every `intervalMs`, the first time as soon as allowed. */
  add(name, task, intervalMs) {
    this.#jobs.set(name, { task, intervalMs, due: 0 });
    this.#schedule();
  }

  remove(name) {
    this.#jobs.delete(name);
  }

  /** Asks for `name` to run as soon as the one-per-second budget allows (e.g. after an event said it changed). */
  soon(name) {
    const job = this.#jobs.get(name);
    if (!job) return;
    job.due = 0;
    this.#schedule();
  }

  /** Stops every job (the page was left). */
  stop() {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#jobs.clear();
    document.removeEventListener('visibilitychange', this.#onVisible);
  }

  #schedule() {
    if (this.#stopped || this.#running) return;
    clearTimeout(this.#timer);
    this.#timer = null;
    if (document.hidden || this.#jobs.size === 0) return;
    const nextDue = Math.min(...[...this.#jobs.values()].map(job => job.due));
    const now = performance.now();
    const at = Math.max(nextDue, this.#lastStart + MIN_GAP_MS, now);
    this.#timer = setTimeout(() => this.#tick(), at - now);
  }

  async #tick() {
    this.#timer = null;
    if (this.#stopped || document.hidden) return;
    const now = performance.now();
    let next = null;
    for (const job of this.#jobs.values()) {
      if (job.due <= now && (next === null || job.due < next.due)) next = job;
    }
    if (next === null) {
      this.#schedule();
      return;
    }
    this.#running = true;
    this.#lastStart = now;
    try {
      await next.task();
    } catch (error) {
      if (error?.name !== 'AbortError') console.warn('console refresh failed', error);
    } finally {
      next.due = performance.now() + next.intervalMs;
      this.#running = false;
      this.#schedule();
    }
  }
}
