// A broker in memory, for the session scenarios (XS-safe: plain ECMAScript + mqtt-packet).
//
// It is a `Connect` the session dials. It answers as a real broker does — CONNACK, PUBACK,
// SUBACK, PINGRESP, retained messages — and lets a scenario misbehave on purpose: refuse
// MQTT 5, hold PUBACKs, hang up, inject any bytes. Every packet goes through mqtt-packet.
import type { Connect, Transport, TransportEvents, TransportTarget } from '../../src/uplink/transport';
import { encodePacket, packetReader, payload, type Packet, type ProtocolVersion } from '../../src/uplink/packets';

export interface Published {
  topic: string;
  payload: Uint8Array;
  qos: number;
  retain: boolean;
  dup: boolean;
  messageId?: number;
  properties?: Record<string, unknown>;
  /** Which link (1-based) carried it. */
  link: number;
}

export interface BrokerOptions {
  /** Protocol versions accepted (default both). */
  versions?: ProtocolVersion[];
  /** How a v5 CONNECT is turned down when 5 is not accepted. */
  refuseV5?: 'connack-0x84' | 'connack-rc1' | 'close';
  /** MQTT 5 receive maximum announced in CONNACK. */
  receiveMaximum?: number;
  /** MQTT 5 maximum packet size announced in CONNACK. */
  maximumPacketSize?: number;
}

// Packets as mqtt-packet parses them; the fields read depend on `cmd`.
type AnyPacket = Record<string, any>;

export class MemoryBroker {
  readonly connects: AnyPacket[] = [];
  readonly published: Published[] = [];
  readonly retained = new Map<string, Uint8Array>();
  readonly subscriptions: string[] = [];
  /** Packets the panel sent, by command name, in order (for checks on ordering). */
  readonly log: string[] = [];
  /** New TCP connections refused (the broker is "down"). */
  down = false;
  /** PUBACKs of events withheld (their packet ids, in order) while `holdAcks` is set. */
  holdAcks = false;
  /** Which topics `holdAcks` applies to (default: events). */
  holdAcksOn: (topic: string) => boolean = (topic) => topic.endsWith('/event');
  readonly held: number[] = [];
  /** PINGREQs go unanswered (a silent, half-dead broker). */
  silent = false;
  /** CONNACK reason code for every connect (0 = accept). */
  refuseCode = 0;
  private link?: MemoryLink;
  private links = 0;

  constructor(private readonly options: BrokerOptions = {}) {}

  /** The `Connect` the session is given. */
  readonly connect: Connect = (_target: TransportTarget, events: TransportEvents): Transport => {
    const link = new MemoryLink(this, ++this.links, events);
    if (this.down) {
      link.hangUp('connection refused');
      return link;
    }
    this.link?.hangUp('replaced');
    this.link = link;
    events.onConnect();
    return link;
  };

  get linkCount(): number { return this.links; }
  get open(): boolean { return !!this.link && !this.link.closed; }
  get version(): ProtocolVersion { return this.link?.version ?? 5; }

  /** Bytes straight to the panel, as if the broker sent them. */
  inject(bytes: Uint8Array): void { this.link?.deliver(bytes); }

  /** A packet to the panel in the link's protocol version. */
  send(packet: Packet): void { this.link?.deliver(encodePacket(packet, this.version)); }

  /** The broker end closes the connection. */
  hangUp(reason = 'reset by broker'): void { this.link?.hangUp(reason); }

  /** Sends the PUBACKs withheld so far, oldest first. */
  releaseAcks(): void {
    for (const id of this.held.splice(0)) this.send({ cmd: 'puback', messageId: id } as Packet);
  }

  /** Events the panel published, as seqs decoded by the scenario's own reader. */
  eventsOn(topic: string): Published[] { return this.published.filter((p) => p.topic === topic); }

  /** @internal */ receive(link: MemoryLink, p: AnyPacket): void {
    this.log.push(p.cmd);
    switch (p.cmd) {
      case 'connect': return this.onConnect(link, p);
      case 'publish': {
        const msg: Published = {
          topic: p.topic, payload: new Uint8Array(p.payload), qos: p.qos, retain: p.retain, dup: p.dup,
          messageId: p.messageId, properties: p.properties, link: link.id,
        };
        this.published.push(msg);
        if (p.retain) this.retained.set(p.topic, msg.payload);
        if (p.qos === 1) {
          if (this.holdAcks && this.holdAcksOn(p.topic)) this.held.push(p.messageId);
          else link.deliver(encodePacket({ cmd: 'puback', messageId: p.messageId } as Packet, link.version));
        }
        return;
      }
      case 'subscribe': {
        for (const s of p.subscriptions) this.subscriptions.push(s.topic);
        const granted = p.subscriptions.map((s: { qos: number }) => s.qos);
        link.deliver(encodePacket({ cmd: 'suback', messageId: p.messageId, granted } as Packet, link.version));
        return;
      }
      case 'pingreq':
        if (!this.silent) link.deliver(encodePacket({ cmd: 'pingresp' }, link.version));
        return;
      case 'disconnect':
        link.hangUp('client disconnected');
        return;
    }
  }

  private onConnect(link: MemoryLink, p: AnyPacket): void {
    this.connects.push(p);
    link.version = p.protocolVersion === 5 ? 5 : 4;
    const versions = this.options.versions ?? [4, 5];
    if (!versions.includes(link.version)) {
      const how = this.options.refuseV5 ?? 'connack-0x84';
      if (how === 'connack-0x84') link.deliver(encodePacket({ cmd: 'connack', reasonCode: 0x84, sessionPresent: false } as Packet, 5));
      if (how === 'connack-rc1') link.deliver(encodePacket({ cmd: 'connack', returnCode: 1, sessionPresent: false } as Packet, 4));
      link.hangUp('unsupported protocol version');
      return;
    }
    const connack: AnyPacket = { cmd: 'connack', sessionPresent: this.connects.length > 1 };
    if (link.version === 5) {
      connack.reasonCode = this.refuseCode;
      const props: AnyPacket = {};
      if (this.options.receiveMaximum) props.receiveMaximum = this.options.receiveMaximum;
      if (this.options.maximumPacketSize) props.maximumPacketSize = this.options.maximumPacketSize;
      if (Object.keys(props).length > 0) connack.properties = props;
    } else {
      connack.returnCode = this.refuseCode;
    }
    link.deliver(encodePacket(connack as Packet, link.version));
    if (this.refuseCode !== 0) link.hangUp('refused');
  }
}

class MemoryLink implements Transport {
  closed = false;
  version: ProtocolVersion = 5;
  private readonly reader;

  constructor(private readonly broker: MemoryBroker, readonly id: number, private readonly events: TransportEvents) {
    // The parser learns the version from the CONNECT it reads.
    this.reader = packetReader(5, (p) => this.broker.receive(this, p as unknown as AnyPacket), (e) => this.hangUp(`broker: ${e.message}`));
  }

  write(bytes: Uint8Array): boolean {
    if (this.closed) return false;
    this.reader.push(new Uint8Array(bytes));
    return true;
  }

  close(): void { this.hangUp('closed by panel'); }

  /** @internal */ deliver(bytes: Uint8Array): void {
    if (!this.closed) this.events.onData(new Uint8Array(bytes));
  }

  /** @internal */ hangUp(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.events.onClose(reason);
  }
}

/** A clock the scenario moves by hand, and a loop that drives a session by its deadlines. */
export class SimTime {
  now = 0;

  /**
   * Ticks `session` at its deadlines until `done()` holds, at most `steps` ticks and never past
   * `limit` ms from now. Returns whether `done()` became true.
   */
  run(session: { tick(now: number): void; nextDeadline(): number | undefined }, done: () => boolean, limit = 600_000, steps = 500): boolean {
    const end = this.now + limit;
    session.tick(this.now);
    for (let i = 0; i < steps && !done(); i++) {
      const next = session.nextDeadline();
      if (next === undefined || next > end) return done();
      this.now = Math.max(this.now, next);
      session.tick(this.now);
    }
    return done();
  }

  /** Advances time by `ms`, ticking the session at every deadline on the way. */
  advance(session: { tick(now: number): void; nextDeadline(): number | undefined }, ms: number, steps = 500): void {
    const end = this.now + ms;
    for (let i = 0; i < steps; i++) {
      const next = session.nextDeadline();
      if (next === undefined || next > end) break;
      this.now = Math.max(this.now, next);
      session.tick(this.now);
    }
    this.now = end;
    session.tick(this.now);
  }
}
