// Waiting for something real in a child process's output (a line, a message, an exit), with a
// bound: `until(done)` re-checks `done()` whenever `changed()` is called, and gives up after
// `timeoutMs` or as soon as `failed()` names a reason (the process died).
export class Waiters {
  private list: Array<() => void> = [];

  changed(): void { for (const w of this.list.splice(0)) w(); }

  async until(done: () => boolean, what: string, timeoutMs: number, failed?: () => string | undefined): Promise<void> {
    const end = performance.now() + timeoutMs;
    while (!done()) {
      const why = failed?.();
      if (why) throw new Error(`${why} while waiting for ${what}`);
      const left = end - performance.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.list.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }
}
