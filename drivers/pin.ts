// The seam between drivers and GPIO: a factory that opens one ECMA-419 Digital pin.
//
// Drivers ask for pins by mode name; a host hands them a factory built from its own
// `Digital` class (`device.io.Digital` on the ESP32, `SimDigital` in the simulator), so
// the same driver code runs on both. Plain ECMAScript: runs in XS.

export type Level = 0 | 1;

/** The ECMA-419 Digital subset the drivers use. */
export interface DigitalLike {
  read(): Level;
  write(value: Level): void;
  close(): void;
}

export type PinMode = 'input' | 'input-pull-up' | 'input-pull-down' | 'output';
export type PinEdge = 'rising' | 'falling' | 'both';

export interface PinOptions {
  pin: number;
  mode: PinMode;
  /** Which edges call `onReadable`; inputs only. */
  edge?: PinEdge;
  onReadable?: () => void;
  /**
   * Outputs only: the level the pin takes as it opens (ECMA-419 `initialValue`), so that it
   * never shows another one, even for an instant (an active-low siren opened low would sound).
   */
  initialValue?: Level;
}

export type PinFactory = (options: PinOptions) => DigitalLike;

/** What a host's ECMA-419 `Digital` class looks like from here: constructor + mode/edge constants. */
export interface DigitalClass {
  new (options: { pin: number; mode: any; edge?: number; onReadable?: () => void; initialValue?: Level }): DigitalLike;
  readonly Input: unknown;
  readonly InputPullUp: unknown;
  readonly InputPullDown: unknown;
  readonly Output: unknown;
  readonly Rising: number;
  readonly Falling: number;
}

/** A pin factory over any ECMA-419 `Digital` class. Mode and edge values come from the class itself. */
export function digitalPins(Digital: DigitalClass): PinFactory {
  const modes: Record<PinMode, unknown> = {
    'input': Digital.Input,
    'input-pull-up': Digital.InputPullUp,
    'input-pull-down': Digital.InputPullDown,
    'output': Digital.Output,
  };
  const edges: Record<PinEdge, number> = {
    rising: Digital.Rising,
    falling: Digital.Falling,
    both: Digital.Rising | Digital.Falling,
  };
  return ({ pin, mode, edge, onReadable, initialValue }) => {
    if (!(mode in modes)) throw new Error(`GPIO ${pin}: unknown pin mode "${mode}"`);
    // The driver's callback itself (drivers pass arrows: the Digital's `this` means nothing to them).
    if (onReadable) return new Digital({ pin, mode: modes[mode], edge: edges[edge ?? 'both'], onReadable });
    if (mode === 'output' && initialValue !== undefined) return new Digital({ pin, mode: modes[mode], initialValue });
    return new Digital({ pin, mode: modes[mode] });
  };
}

/** The drivers' time: milliseconds since boot, monotonic (the host's uptime clock; see src/core/clock). */
export interface Uptime {
  uptime(): number;
}
