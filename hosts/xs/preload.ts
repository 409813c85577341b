// Moddable's preload, as far as xsnap (XS 13.3) lets a script show it. On the device, xsl runs
// every module body at build time, then freezes (documentation/xs/preload.md; xsl.c
// fxFreezeBuiltIns, xslSlot.c fxPrepareHeap): the built-in prototypes and namespaces, every
// function alive (with the `prototype` of every constructor), and Map/Set/WeakMap/WeakSet,
// ArrayBuffer/TypedArray/DataView and RegExp instances, which land in flash read-only.
// Here: `beginLoad()` runs before any module body, `freezeLoaded()` after the last one and before
// anything else runs. What it cannot do in xsnap, and why, is said where it is (not) done.
// Plain ECMAScript, no imports: test/support/preload.ts prepends it to the bundle as its own script.

/* eslint-disable @typescript-eslint/no-explicit-any */
type Ctor = new (...args: any[]) => object;

const { apply, construct, ownKeys, getOwnPropertyDescriptor } = Reflect;
const getPrototypeOf = Reflect.getPrototypeOf as (o: object) => any;
const { freeze, isFrozen } = Object;
const g = globalThis as any;

// Instances made during the load phase, and those reached from the module graph after it.
const readOnlyCollections = new WeakSet<object>();
const readOnlyBuffers = new WeakSet<object>();
// RegExps made at load: any use of one fails here (see guardReadOnly).
const loadedRegExps = new WeakSet<object>();
// Buffers and collections of the modules a Moddable build replaces (stand-ins): not in flash there.
const exempt = new WeakSet<object>();
const madeAtLoad: object[] = [];
const buffers: object[] = []; // the read-only ones, for petrify
let loading = false;

const collectionNames = ['Map', 'Set', 'WeakMap', 'WeakSet'];
const bufferNames = ['ArrayBuffer', 'DataView', 'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array',
  'Uint16Array', 'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array'];
const originals = new Map<string, Ctor>();

/**
 * Load phase: while module bodies run, `new Map()` and its kin go through a proxy that records
 * what they make (module-private instances included, which no walk could reach). A class that
 * extends one of them at load keeps the proxy as its parent, which forwards everything.
 */
export function beginLoad(): void {
  loading = true;
  for (const name of [...collectionNames, ...bufferNames]) {
    const real = g[name] as Ctor | undefined;
    if (typeof real !== 'function') continue;
    originals.set(name, real);
    const proxy: Ctor = new Proxy(real, {
      construct(target, args, newTarget) {
        const made = construct(target, args, newTarget === proxy ? target : newTarget);
        if (loading) madeAtLoad.push(made);
        return made;
      },
    });
    g[name] = proxy;
  }
}

const isConstructor = (fn: Function): boolean => {
  try {
    construct(String, [], fn);
    return true;
  } catch {
    return false;
  }
};

const mapEntries = Map.prototype.entries;
const setValues = Set.prototype.values;
const viewBuffer = getOwnPropertyDescriptor(getPrototypeOf(Uint8Array.prototype), 'buffer')!.get!;
const isView = ArrayBuffer.isView;

export interface FreezeCount { functions: number; prototypes: number; collections: number; buffers: number; regexps: number; exempt: number; petrified: boolean }

function markBuffer(obj: object, count: FreezeCount): boolean {
  let buffer: object;
  if (obj instanceof originals.get('ArrayBuffer')!) buffer = obj;
  else if (obj instanceof originals.get('DataView')!) buffer = (obj as DataView).buffer;
  else if (isView(obj)) buffer = apply(viewBuffer, obj, []);
  else return false;
  if (exempt.has(buffer)) return true;
  if (!readOnlyBuffers.has(buffer)) { readOnlyBuffers.add(buffer); buffers.push(buffer); count.buffers++; }
  return true;
}

function markCollection(obj: object, count: FreezeCount): boolean {
  if (!collectionNames.some((name) => obj instanceof originals.get(name)!)) return false;
  if (exempt.has(obj)) return true;
  if (!readOnlyCollections.has(obj)) { readOnlyCollections.add(obj); count.collections++; }
  return true;
}

/**
 * Visits each object and function reachable from `roots` once (never the global object), and
 * follows its own properties (accessors too, when `accessors`) unless `visit` returns false;
 * `visit` may push more to follow (a prototype, a Map's entries).
 */
function walk(roots: unknown[], accessors: boolean, visit: (value: object, todo: unknown[]) => boolean): void {
  const seen = new WeakSet<object>();
  const todo: unknown[] = [...roots];
  while (todo.length > 0) {
    const value = todo.pop();
    if ((typeof value !== 'object' && typeof value !== 'function') || value === null) continue;
    if (seen.has(value) || value === globalThis) continue;
    seen.add(value);
    if (!visit(value, todo)) continue;
    for (const key of ownKeys(value)) {
      const desc = getOwnPropertyDescriptor(value, key)!;
      if ('value' in desc) todo.push(desc.value);
      else if (accessors) todo.push(desc.get, desc.set);
    }
  }
}

/**
 * Freezes what xsl freezes among the objects reachable from `roots` (every top-level binding of the
 * bundle: esbuild hoists each ESM module's declarations there; CommonJS modules are reached through
 * their exports). Functions and constructors' prototypes are frozen; plain objects and arrays stay
 * writable, as on the device, where they are aliased into RAM on their first write. Functions that
 * only a closure holds cannot be reached by a script, so they stay unfrozen here.
 */
function freezeGraph(roots: unknown[], count: FreezeCount): void {
  walk(roots, true, (value, todo) => {
    const proto = getPrototypeOf(value);
    if (proto) todo.push(proto);
    if (typeof value === 'function') {
      if (isConstructor(value)) {
        const prototype = getOwnPropertyDescriptor(value, 'prototype')?.value;
        if (prototype && typeof prototype === 'object' && !isFrozen(prototype)) { freeze(prototype); count.prototypes++; }
      }
      if (!isFrozen(value)) { freeze(value); count.functions++; }
    } else if (markBuffer(value, count)) {
      return false; // elements are numbers; a typed array's own keys are its indexes
    } else if (markCollection(value, count)) {
      if (value instanceof originals.get('Map')!) for (const [k, v] of apply(mapEntries, value, []) as Iterable<[unknown, unknown]>) todo.push(k, v);
      else if (value instanceof originals.get('Set')!) for (const v of apply(setValues, value, []) as Iterable<unknown>) todo.push(v);
    } else if (value instanceof RegExp) {
      // A RegExp made at load is frozen in flash, and using one at run time crashed XS (guardReadOnly).
      loadedRegExps.add(value);
      if (!isFrozen(value)) { freeze(value); count.regexps++; }
    }
    return true;
  });
}

/**
 * The buffers and collections reachable from the stand-ins' own bindings stay writable: on the device
 * those modules are not there (e.g. @noble/hashes, whose SHA-256 scratch buffer is made at load and
 * written on every digest, stands in for Moddable's native `crypt`).
 */
function exemptStandIns(roots: unknown[], count: FreezeCount): void {
  walk(roots, false, (value) => {
    let found: object | undefined;
    if (value instanceof originals.get('ArrayBuffer')!) found = value;
    else if (value instanceof originals.get('DataView')!) found = (value as DataView).buffer;
    else if (isView(value)) found = apply(viewBuffer, value, []);
    else if (collectionNames.some((name) => value instanceof originals.get(name)!)) found = value;
    if (!found) return true;
    if (!exempt.has(found)) { exempt.add(found); count.exempt++; }
    if (readOnlyBuffers.delete(found)) count.buffers--;
    if (readOnlyCollections.delete(found)) count.collections--;
    return found === value && !isView(value);
  });
}

/** Replaces a built-in method with one that refuses to touch an instance made at load. */
function guard(proto: any, names: Array<string | symbol>, isReadOnly: (self: any) => boolean, message: string): void {
  for (const name of names) {
    const real = proto[name] as Function | undefined;
    if (typeof real !== 'function') continue;
    // A method definition keeps the built-in's name and gives no `prototype`; `length` is copied.
    const wrapper = {
      [name as string](this: unknown, ...args: unknown[]) {
        if (isReadOnly(this)) throw new TypeError(message);
        return apply(real, this, args);
      },
    }[name as string];
    Object.defineProperty(wrapper, 'length', { value: real.length });
    Object.defineProperty(proto, name, { ...getOwnPropertyDescriptor(proto, name), value: wrapper });
  }
}

/**
 * What a script can do about the read-only instances, with Moddable's messages:
 * - Map/Set/WeakMap/WeakSet: every mutation goes through their prototype methods, so the guard is
 *   complete.
 * - ArrayBuffer/TypedArray/DataView: the methods that write (`set`, `fill`, `copyWithin`, `reverse`,
 *   `sort`, DataView's setters, `transfer`) are guarded. An element assignment (`a[i] = x`) cannot be
 *   caught by a script (XS 13.3 has no immutable ArrayBuffer; Object.freeze throws on a non-empty
 *   TypedArray): where the engine has `petrify` (the test build of xsnap), it closes that gap.
 */
function guardReadOnly(): void {
  const collection = (self: any) => readOnlyCollections.has(self);
  guard(Map.prototype, ['set', 'delete', 'clear'], collection, 'this: read-only Map instance');
  guard(Set.prototype, ['add', 'delete', 'clear'], collection, 'this: read-only Set instance');
  guard(WeakMap.prototype, ['set', 'delete'], collection, 'this: read-only WeakMap instance');
  guard(WeakSet.prototype, ['add', 'delete'], collection, 'this: read-only WeakSet instance');
  const typedArray = getPrototypeOf(Uint8Array.prototype);
  const viewOnReadOnly = (self: any) => isView(self) && !(self instanceof DataView) && readOnlyBuffers.has(apply(viewBuffer, self, []));
  guard(typedArray, ['set', 'fill', 'copyWithin', 'reverse', 'sort'], viewOnReadOnly, 'read-only buffer');
  const dataView = (self: any) => self instanceof DataView && readOnlyBuffers.has(self.buffer);
  guard(DataView.prototype, Object.getOwnPropertyNames(DataView.prototype).filter((n) => n.startsWith('set')), dataView, 'read-only buffer');
  guard(ArrayBuffer.prototype, ['transfer', 'transferToFixedLength', 'resize'], (self) => readOnlyBuffers.has(self), 'read-only buffer');
  // Seen under mcsim: RegExp.prototype.test on a RegExp made at load (in flash) crashed XS with a
  // SIGSEGV in fx_RegExp_prototype_exec, now and then. Here any use of one fails, every time.
  guard(RegExp.prototype, ['exec', 'test', Symbol.match, Symbol.matchAll, Symbol.replace, Symbol.search, Symbol.split],
    (self) => loadedRegExps.has(self), 'a RegExp made at load is used at run time: under Moddable\'s preload it is in flash and XS crashed using one (make it where it is used)');
}

/** xsl's fxFreezeBuiltIns list: the intrinsics a script cannot name are reached through instances. */
function intrinsics(): object[] {
  const list: object[] = [];
  for (const key of ownKeys(globalThis)) {
    const value = getOwnPropertyDescriptor(globalThis, key)!.value;
    if (typeof value === 'function') list.push(value);
  }
  list.push(Atomics, JSON, Math, Reflect);
  const iteratorOf = (iterable: any) => getPrototypeOf(iterable[Symbol.iterator]());
  function* generator() { /* its prototype chain */ }
  async function* asyncGenerator() { /* its prototype chain */ }
  async function asyncFunction() { /* its prototype */ }
  const args = (function () { return arguments; })();
  list.push(
    iteratorOf([]), getPrototypeOf(iteratorOf([])), iteratorOf(new Map()), iteratorOf(new Set()), iteratorOf(''),
    getPrototypeOf(/a/[Symbol.matchAll]('')),
    getPrototypeOf(generator), getPrototypeOf(generator.prototype), generator.prototype,
    getPrototypeOf(asyncGenerator), getPrototypeOf(asyncGenerator.prototype), getPrototypeOf(getPrototypeOf(asyncGenerator.prototype)),
    getPrototypeOf(asyncFunction), getPrototypeOf(args), (Array.prototype as any)[Symbol.unscopables],
    getPrototypeOf(Uint8Array.prototype),
  );
  return list;
}

function freezeBuiltIns(count: FreezeCount): void {
  const all = intrinsics();
  for (const obj of all) {
    if (typeof obj === 'function') {
      const prototype = getOwnPropertyDescriptor(obj, 'prototype')?.value;
      if (prototype && typeof prototype === 'object') all.push(prototype);
    }
  }
  for (const obj of all) {
    freeze(obj);
    // Every built-in function: methods, getters and setters of every intrinsic.
    for (const key of ownKeys(obj)) {
      const desc = getOwnPropertyDescriptor(obj, key)!;
      for (const fn of [desc.value, desc.get, desc.set]) {
        if (typeof fn === 'function' && !isFrozen(fn)) { freeze(fn); count.functions++; }
      }
    }
  }
}

/**
 * The end of the load phase. `roots` reads the top-level bindings once the `loaders` have run:
 * those are the bundle's lazy module initialisers (esbuild's `require_x`/`init_x`); a preloaded
 * library is loaded whole on the device, so they all run here.
 * `standIn…` are those of the modules a Moddable build replaces, and of what only they import.
 */
export function freezeLoaded(
  roots: () => unknown[], loaders: Array<() => unknown>,
  standInRoots: () => unknown[], standInLoaders: Array<() => unknown>,
): FreezeCount {
  const count: FreezeCount = { functions: 0, prototypes: 0, collections: 0, buffers: 0, regexps: 0, exempt: 0, petrified: false };
  const loaded = loaders.map((load) => load());
  const standIns = [...standInLoaders.map((load) => load()), ...standInRoots()];
  loading = false;
  for (const [name, real] of originals) g[name] = real;
  for (const made of madeAtLoad) if (!markBuffer(made, count)) markCollection(made, count);
  madeAtLoad.length = 0;
  exemptStandIns(standIns, count);
  // The guards go in before anything is frozen: the walk reaches Map.prototype through `Map`.
  guardReadOnly();
  freezeGraph([...roots(), ...loaded, ...standIns], count);
  // XS's own petrify (the test build of xsnap defines it; tools/xsnap.ts) sets the flag xsl sets on
  // a buffer in flash: then element writes throw "read-only buffer" too, as on the device.
  const petrify = g.petrify as ((o: object) => void) | undefined;
  delete g.petrify;
  if (typeof petrify === 'function') {
    for (const buffer of buffers) if (readOnlyBuffers.has(buffer)) petrify(buffer);
    count.petrified = true;
  }
  buffers.length = 0;
  freezeBuiltIns(count);
  return count;
}
