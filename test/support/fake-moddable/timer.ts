// Moddable's `timer` module over Node timers (set / clear only).
export default {
  set(callback: () => void, ms = 0): NodeJS.Timeout { return setTimeout(callback, ms); },
  clear(timer: NodeJS.Timeout | undefined): void { if (timer) clearTimeout(timer); },
};
