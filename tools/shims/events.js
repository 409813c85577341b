// Stands in for Node's `events` in firmware bundles: the part mqtt-packet uses (its parser
// emits 'packet' and 'error'; its generate() accumulator only extends the class).
//
// Why not the `events` package: it puts `_events` on EventEmitter.prototype at load, Moddable's
// preload freezes that prototype, and every `this._events = …` afterwards throws ("set _events:
// not writable", the override mistake). Here the listeners live on each instance, in a private
// field made when the instance is.
export class EventEmitter {
  #listeners = new Map();

  on(name, listener) {
    const list = this.#listeners.get(name);
    if (list) list.push(listener);
    else this.#listeners.set(name, [listener]);
    return this;
  }

  removeListener(name, listener) {
    const list = this.#listeners.get(name);
    const at = list ? list.indexOf(listener) : -1;
    if (at >= 0) list.splice(at, 1);
    return this;
  }

  emit(name, ...args) {
    const list = this.#listeners.get(name);
    if (!list || list.length === 0) {
      if (name === 'error') throw args[0]; // as Node does with nobody listening
      return false;
    }
    for (const listener of list.slice()) listener.apply(this, args);
    return true;
  }
}
EventEmitter.prototype.addListener = EventEmitter.prototype.on;
EventEmitter.prototype.off = EventEmitter.prototype.removeListener;
