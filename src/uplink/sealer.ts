// The uplink's authentication (uplink-auth.ts) as the panel applies it: a layer around the
// encoders' bytes, under the config's uplink key and mode, with this boot's IVs.
import type { PanelConfig } from '../config';
import { decodeKey } from './keys';
import type { Outbox } from '../store/outbox';
import { encryptUplink, macUplink } from './cose';
import { sealedKey, uplinkAad, UplinkIvs, type UplinkKind } from './uplink-auth';

/**
 * What a config's uplink key gives, made once per config: the key decoded, the sealed key derived,
 * the AAD of each kind (a reply's and a log chunk's name their command: made per message). Made
 * per message they were most of an alarm's cost in XS (a base64 decode, an HMAC, CBOR encodes).
 */
interface Keys {
  config: PanelConfig;
  key: Uint8Array | undefined;
  sealed: Uint8Array | undefined;
  aad: Partial<Record<UplinkKind, Uint8Array>>;
}

/** At most this many events are kept sealed; more means events left the outbox unacknowledged. */
const SEALED_EVENTS = 64;

export class Sealer {
  /** This boot's sealed-mode IVs, made at the first sealed message. */
  private ivs: UplinkIvs | undefined;
  /** Sealed events by seq: an event waiting for its PUBACK is peeked on every pump, sealed once. */
  private readonly events = new Map<number, Uint8Array>();
  private keys: Keys | undefined;

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
    if (cfg.uplink === undefined) return bytes;
    if (this.keys?.config !== cfg) this.keys = keysOf(cfg);
    const { key, aad } = this.keys;
    if (!key) return bytes;
    const external = command === undefined ? (aad[kind] ??= uplinkAad(cfg.panel.id, kind)) : uplinkAad(cfg.panel.id, kind, command);
    if (!this.keys.sealed) return macUplink(bytes, key, external);
    // One IV sequence per boot, whatever the key: the rule in uplink-auth.ts holds across re-keying too.
    this.ivs ??= new UplinkIvs(this.boot, this.randomBytes(4));
    return encryptUplink(bytes, this.keys.sealed, this.ivs.next(), external);
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

function keysOf(config: PanelConfig): Keys {
  const key = config.uplink === undefined ? undefined : decodeKey(config.uplink);
  return { config, key, sealed: key && config.sealed ? sealedKey(key, config.panel.id) : undefined, aad: {} };
}
