// The uplink's authentication (uplink-auth.ts) as the panel applies it: a layer around the
// encoders' bytes, under the config's uplink key and mode, with this boot's IVs.
import type { PanelConfig } from '../config';
import { decodeKey } from './keys';
import type { Outbox } from '../store/outbox';
import { encryptUplinkFor, sealedKey, sealUplink, UplinkIvs, type UplinkKind } from './uplink-auth';

/** At most this many events are kept sealed; more means events left the outbox unacknowledged. */
const SEALED_EVENTS = 64;

export class Sealer {
  /** This boot's sealed-mode IVs, made at the first sealed message. */
  private ivs: UplinkIvs | undefined;
  /** Sealed events by seq: an event waiting for its PUBACK is peeked on every pump, sealed once. */
  private readonly events = new Map<number, Uint8Array>();

  constructor(
    private readonly config: () => PanelConfig,
    private readonly boot: number,
    private readonly randomBytes: (n: number) => Uint8Array,
  ) {}

  /**
   * `bytes` as they go out: in a COSE_Mac0 when the panel has an uplink key, in a COSE_Encrypt0 in
   * sealed mode, as they are otherwise.
   */
  seal(kind: UplinkKind, bytes: Uint8Array, command?: Uint8Array): Uint8Array {
    const cfg = this.config();
    const key = cfg.uplink === undefined ? undefined : decodeKey(cfg.uplink);
    if (!key) return bytes;
    if (!cfg.sealed) return sealUplink(bytes, key, cfg.panel.id, kind, command);
    // One IV sequence per boot, whatever the key: the rule in uplink-auth.ts holds across re-keying too.
    this.ivs ??= new UplinkIvs(this.boot, this.randomBytes(4));
    return encryptUplinkFor(bytes, sealedKey(key, cfg.panel.id), this.ivs.next(), cfg.panel.id, kind, command);
  }

  /** `outbox` as the session sees it: the stored event bytes, sealed on the way out. */
  outbox(outbox: Outbox): Outbox {
    return {
      peek: (max) => outbox.peek(max).map((e) => {
        let payload = this.events.get(e.seq);
        if (!payload) {
          if (this.events.size >= SEALED_EVENTS) this.events.clear(); // events dropped from the outbox unacknowledged
          payload = this.seal('event', e.payload);
          this.events.set(e.seq, payload);
        }
        return { seq: e.seq, payload };
      }),
      ack: (seq) => {
        this.events.delete(seq);
        outbox.ack(seq);
      },
      size: () => outbox.size(),
    };
  }

  /** The key or mode changed: events not yet acknowledged are sealed anew. */
  rekeyed(): void {
    this.events.clear();
  }
}
