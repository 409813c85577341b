// The lin simulator's control link: the simulated pins, driven from outside over one TCP
// connection that the panel opens to 127.0.0.1:<port> (the test or a person's script listens).
//
// Lines in:  `pin <gpio> <0|1>` sets an input's level (a door opens, a PIR fires);
//            `power` turns the panel on, once the inputs are as the world has them;
//            `mem` collects garbage, then asks for the XS heap in use.
// Lines out: `hello` once connected; `boot <n>` once the panel is open; `out <gpio> <0|1>`
//            for every output write (the siren); `mem <slot bytes> <chunk bytes>`; `error <why>`
//            for a line it cannot take.
// Test-bench plumbing only: the ESP32 host has real pins and no such link.
import TCP from "embedded:io/socket/tcp";
import Instrumentation from "instrumentation";
import Debug from "debug";
import type { SimBoard } from "../xs/sim-digital";
import { fromUtf8, utf8 } from "../../src/text";

/** A line longer than this is a broken peer, not a command. */
const MAX_LINE = 128;

const heapUse = (name: "XS Slot Heap Used" | "XS Chunk Heap Used"): number => Instrumentation.get(Instrumentation.map(name)) ?? -1;

export class ControlLink {
  private socket: TCP | undefined;
  private pending = "";
  private readonly out: Uint8Array[] = [];
  /** Bytes the socket said it can take now (ECMA-419 onWritable); 0 until connected. */
  private writable = 0;

  constructor(port: number, private readonly board: SimBoard, private readonly onPower: () => void, private readonly log: (line: string) => void) {
    const link = this;
    this.socket = new TCP({
      address: "127.0.0.1",
      port,
      onReadable(count: number) { link.receive(this.read(count) as ArrayBuffer); },
      onWritable(count: number) { link.writable = count; link.flush(); },
      onError() { link.log("control: link closed"); link.socket = undefined; },
    });
    this.send("hello");
  }

  /** The panel is open: its boot count. */
  booted(boot: number): void {
    this.send(`boot ${boot}`);
  }

  /** An output pin was written (the board reports every write). */
  output(pin: number, level: number): void {
    this.send(`out ${pin} ${level}`);
  }

  private send(line: string): void {
    this.out.push(utf8(`${line}\n`));
    this.flush();
  }

  private flush(): void {
    // Lines wait until the socket has room for them: before it connects, onWritable is 0.
    while (this.socket && this.out.length > 0 && this.out[0].length <= this.writable) {
      const bytes = this.out.shift()!;
      this.socket.write(bytes.buffer as ArrayBuffer);
      this.writable -= bytes.length;
    }
  }

  private receive(buffer: ArrayBuffer): void {
    this.pending += fromUtf8(new Uint8Array(buffer));
    let nl: number;
    while ((nl = this.pending.indexOf("\n")) >= 0) {
      this.command(this.pending.slice(0, nl).trim());
      this.pending = this.pending.slice(nl + 1);
    }
    if (this.pending.length > MAX_LINE) {
      this.send("error line too long");
      this.pending = "";
    }
  }

  private command(line: string): void {
    const pin = /^pin (\d{1,2}) ([01])$/.exec(line);
    if (pin) {
      try {
        this.board.set(Number(pin[1]), Number(pin[2]) as 0 | 1);
      } catch (err) {
        this.send(`error ${(err as Error).message}`);
      }
    } else if (line === "power") {
      this.onPower();
    } else if (line === "mem") {
      Debug.gc();
      this.send(`mem ${heapUse("XS Slot Heap Used")} ${heapUse("XS Chunk Heap Used")}`);
    } else if (line !== "") {
      this.send(`error unknown command: ${line.slice(0, 40)}`);
    }
  }
}
