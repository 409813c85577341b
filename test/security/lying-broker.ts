// A broker that lies: a TCP proxy between the panel and mosquitto that reads every MQTT packet
// (mqtt-packet) both ways and lets a test drop some, and slip in packets of its own, at packet
// boundaries. The panel speaks MQTT 5 to it (its config says so).
import net from 'node:net';
import { encodePacket, packetReader, type Packet } from '../../src/uplink/packets.ts';

type AnyPacket = Packet & Record<string, any>;
/** Return false to drop the packet. */
export type Filter = (packet: AnyPacket, lie: LyingProxy) => boolean;

export class LyingProxy {
  /** Packets from the broker to the panel. */
  toPanelFilter: Filter = () => true;
  /** Packets from the panel to the broker. */
  toBrokerFilter: Filter = () => true;
  private readonly pairs = new Set<{ panel: net.Socket; broker: net.Socket }>();

  private constructor(private readonly server: net.Server, readonly port: number) {}

  static async start(targetPort: number): Promise<LyingProxy> {
    let proxy: LyingProxy | undefined;
    const server = net.createServer((panel) => {
      const broker = net.connect({ host: '127.0.0.1', port: targetPort });
      const pair = { panel, broker };
      proxy!.pairs.add(pair);
      const end = () => { panel.destroy(); broker.destroy(); proxy!.pairs.delete(pair); };
      const up = packetReader(5, (p) => { if (proxy!.toBrokerFilter(p as AnyPacket, proxy!)) broker.write(encodePacket(p, 5)); }, end);
      const down = packetReader(5, (p) => { if (proxy!.toPanelFilter(p as AnyPacket, proxy!)) panel.write(encodePacket(p, 5)); }, end);
      panel.on('data', (d) => up.push(new Uint8Array(d)));
      broker.on('data', (d) => down.push(new Uint8Array(d)));
      for (const s of [panel, broker]) { s.once('close', end); s.on('error', end); }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new LyingProxy(server, (server.address() as net.AddressInfo).port);
    return proxy;
  }

  /** A packet to the broker as if the panel sent it. */
  toBroker(packet: Packet): void {
    for (const { broker } of this.pairs) broker.write(encodePacket(packet, 5));
  }

  /** A packet to the panel as if the broker sent it. */
  toPanel(packet: Packet): void {
    for (const { panel } of this.pairs) panel.write(encodePacket(packet, 5));
  }

  close(): void {
    for (const { panel, broker } of this.pairs) { panel.destroy(); broker.destroy(); }
    this.server.close();
  }
}
