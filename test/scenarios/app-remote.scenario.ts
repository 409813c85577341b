// The whole app from the broker's side, on Node and inside XS: the log exported by command in
// chunks that fit the broker's packets, and Home Assistant (discovery, plain-text state, its
// commands through a dedicated user, its role and the lockout). A broker in memory, a hand clock.
import { defineScenarios } from '../../hosts/xs/probe';
import { SimHost } from '../../hosts/xs/sim-host';
import { firstBootConfig, validateConfig, type PanelConfig } from '../../src/config';
import { makeUser } from '../../src/core/settings';
import { signCommand, decodeReply, type Command, type Reply } from '../../src/uplink/commands';
import { encodeKey } from '../../src/uplink/keys';
import { decodeLogChunk, joinLogChunks, type LogChunk } from '../../src/uplink/log-export';
import { verifyChain } from '../../src/store/event-log';
import { encodePacket, payload, type Packet } from '../../src/uplink/packets';
import { MemoryBroker, type BrokerOptions } from '../support/memory-mqtt';

const NOW = 1_790_000_000;
const DOOR = 32;
const codes = { family: '2580', cleaner: '1111', ha: '4321' };
const keyOf = (user: number) => new Uint8Array(32).fill(user);
const text = (b: Uint8Array) => String.fromCharCode(...b);
const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const T = (leaf: string) => `alarm/p1/${leaf}`;

function boot(o: { broker?: BrokerOptions; ha?: boolean } = {}) {
  const broker = new MemoryBroker(o.broker);
  const host = new SimHost({ wallStart: NOW, connect: broker.connect });
  const first = firstBootConfig('p1', (n) => host.randomBytes(n));
  const salt = () => Array.from(host.randomBytes(8), (b) => (b < 16 ? '0' : '') + b.toString(16)).join('');
  const raw = JSON.parse(JSON.stringify(first.config)) as PanelConfig;
  raw.alarm.users.push(
    makeUser({ number: 2, name: 'Family', role: 'user', code: codes.family, salt: salt() }),
    makeUser({ number: 3, name: 'Cleaner', role: 'arm-only', code: codes.cleaner, salt: salt() }),
    makeUser({ number: 4, name: 'Home Assistant', role: 'user', code: codes.ha, salt: salt() }),
  );
  raw.broker.url = 'mqtt://broker.test:1883';
  raw.remote = { 1: encodeKey(keyOf(1)), 3: encodeKey(keyOf(3)) };
  raw.homeAssistant = { enabled: o.ha === true, user: 4, discoveryPrefix: 'homeassistant' };
  const checked = validateConfig(raw);
  if (!checked.ok) throw new Error(checked.errors.map((e) => `${e.field} ${e.message}`).join('; '));
  const panel = host.open(checked.config);
  host.runTo(panel, 1000);
  let messageId = 100;
  const step = () => host.runTo(panel, host.uptimeMs + 10);
  /** A message from the broker to the panel, then the panel runs. */
  const deliver = (topic: string, body: Uint8Array) => {
    broker.send({ cmd: 'publish', topic, payload: payload(body), qos: 1, messageId: messageId++, retain: false, dup: false } as unknown as Packet);
    step();
  };
  let counter = 1;
  const command = (user: number, action: Command['action'], id: number) => {
    const cmd: Command = { id, action, args: action.startsWith('arm_') ? { force: false } : {}, counter: counter++, time: NOW + Math.floor(host.uptimeMs / 1000) };
    deliver(T('cmd'), signCommand(cmd, user, keyOf(user)));
  };
  const replies = (): Reply[] => broker.published.filter((p) => p.topic === T('reply')).map((p) => {
    const r = decodeReply(p.payload);
    if ('error' in r) throw new Error(r.error);
    return r.reply;
  });
  const ha = (action: string, code: string) => deliver(T('ha/set'), ascii(JSON.stringify({ action, code })));
  const haLines = () => host.lines.filter((l) => l.startsWith('home assistant:'));
  return { broker, host, panel, first, command, replies, deliver, ha, haLines, step, config: checked.config };
}

export default defineScenarios('app remote', {
  'log_export: the log in numbered chunks that fit the broker, the reply counts them, the chain verifies': (t) => {
    const s = boot({ broker: { maximumPacketSize: 256 } });
    for (let i = 0; i < 15; i++) {
      s.panel.keypad('bypass', codes.family, { zone: 2 });
      s.panel.keypad('unbypass', codes.family, { zone: 2 });
    }
    s.step();
    s.command(1, 'log_export', 77);
    const [reply] = s.replies();
    t.is([reply.id, reply.ok, reply.state], [77, true, 'disarmed'], 'accepted');
    const sent = s.broker.published.filter((p) => p.topic === T('log'));
    t.is(sent.length, reply.chunks, `the reply counts the chunks (${reply.chunks})`);
    t.ok(sent.length > 5, 'a log of 30-odd events takes several 256-byte packets');
    t.ok(sent.every((p) => !p.retain && p.qos === 1), 'QoS 1, not retained');
    const sizes = sent.map((p) => encodePacket({ cmd: 'publish', topic: p.topic, payload: payload(p.payload), qos: 1, messageId: 1,
      retain: false, dup: false, properties: p.properties } as unknown as Packet, 5).length);
    t.ok(Math.max(...sizes) <= 256, `every packet fits 256 bytes (largest ${Math.max(...sizes)})`);
    const chunks: LogChunk[] = [];
    for (const p of sent) {
      const c = decodeLogChunk(p.payload);
      if ('chunk' in c) chunks.push(c.chunk);
    }
    t.is(chunks.map((c) => c.index), sent.map((_, i) => i), 'numbered from 0, in order');
    t.ok(chunks.every((c) => c.id === 77 && c.count === sent.length), "each names the command's id and the count");
    const joined = joinLogChunks(chunks.slice().reverse());
    const bytes = 'bytes' in joined ? joined.bytes : new Uint8Array(0);
    t.is(text(bytes) === text(s.panel.exportLog()), true, 'joined, in any order, they are the export');
    const check = verifyChain(bytes);
    t.is(check.ok ? [check.count, check.firstSeq] : check.reason, [s.panel.events(1000).length, 1], 'the chain verifies, every event there');
    t.is(String(('error' in joinLogChunks(chunks.slice(1))) && (joinLogChunks(chunks.slice(1)) as { error: string }).error), `1 of ${chunks.length} chunks missing (first: 0)`, 'a missing chunk is named');
  },

  'log_export is refused to an arm-only user, with nothing published': (t) => {
    const s = boot();
    s.command(3, 'log_export', 5);
    t.is(s.replies().map((r) => [r.id, r.ok, r.reason]), [[5, false, 'not_permitted']], 'not permitted');
    t.is(s.broker.published.filter((p) => p.topic === T('log')).length, 0, 'no chunk');
    s.command(1, 'log_export', 6);
    t.is(s.replies()[1].ok, true, 'a master may');
  },

  'Home Assistant: discovery for the panel and each zone, retained JSON with what HA needs': (t) => {
    const s = boot({ ha: true });
    const configs = [...s.broker.retained.keys()].filter((k) => k.startsWith('homeassistant/')).sort();
    t.is(configs, [
      'homeassistant/alarm_control_panel/p1/panel/config',
      'homeassistant/binary_sensor/p1/zone_1/config',
      'homeassistant/binary_sensor/p1/zone_2/config',
    ], 'one panel, one binary_sensor per zone');
    const read = (topic: string) => JSON.parse(text(s.broker.retained.get(topic)!)) as Record<string, unknown>;
    const panel = read(configs[0]);
    t.is([panel.state_topic, panel.command_topic, panel.availability_topic], [T('ha/state'), T('ha/set'), T('status')], 'topics');
    t.is([panel.payload_available, panel.payload_not_available], ['online', 'offline'], 'availability words');
    t.is([panel.code, panel.code_arm_required, panel.code_disarm_required], ['REMOTE_CODE', true, true], 'the code goes to the panel, for every action');
    t.ok(/"action":"\{\{ action \}\}"/.test(String(panel.command_template)) && /"code":"\{\{ code \}\}"/.test(String(panel.command_template)), 'the template carries action and code');
    t.is(panel.supported_features, ['arm_away', 'arm_home', 'arm_night'], 'no trigger, no vacation');
    t.is(typeof panel.unique_id === 'string' && typeof (panel.device as { identifiers: unknown }).identifiers, 'object', 'unique id and device identifiers');
    t.is([read(configs[1]).device_class, read(configs[2]).device_class], ['door', 'motion'], 'door and motion classes from the wiring');
    t.is([read(configs[1]).state_topic, read(configs[1]).payload_on, read(configs[1]).payload_off], [T('ha/zone/1'), 'ON', 'OFF'], 'zone state topic and words');
    const props = s.broker.published.find((p) => p.topic === configs[0])!.properties;
    t.is(props?.contentType, 'application/json', 'content type JSON');
    t.is(text(s.broker.retained.get(T('ha/state'))!), 'disarmed', 'the state, in HA words');
    t.is(text(s.broker.retained.get(T('ha/zone/1'))!), 'OFF', 'the door is closed');
    t.ok(s.broker.subscriptions.includes(T('ha/set')), "the panel listens on HA's command topic");
    s.host.set(DOOR, 1);
    s.host.runTo(s.panel, s.host.uptimeMs + 1000);
    t.is(text(s.broker.retained.get(T('ha/zone/1'))!), 'ON', 'the door opens: ON');
  },

  "Home Assistant commands: the HA user's code arms and disarms; other codes are wrong codes toward the lockout": (t) => {
    const s = boot({ ha: true });
    s.ha('ARM_AWAY', codes.ha);
    t.is(s.panel.snapshot().mode, 'arming', "the HA user's code arms");
    t.is(text(s.broker.retained.get(T('ha/state'))!), 'arming', 'HA sees arming');
    s.ha('DISARM', codes.ha);
    t.is(s.panel.snapshot().mode, 'disarmed', 'and disarms');
    t.is(s.panel.events().some((e) => e.code === 401), false, 'an exit delay cancelled: no open/close event');
    s.ha('ARM_AWAY', s.first.masterCode);
    t.is(s.panel.snapshot().mode, 'disarmed', "the master's code does nothing through HA");
    t.is(s.haLines().slice(-1), ['home assistant: arm_away refused: bad_code'], 'refused as a wrong code, the code not logged');
    for (let i = 2; i <= 9; i++) s.ha('ARM_HOME', '0000');
    t.is(s.panel.snapshot().lockout, 0, 'nine wrong codes: not locked');
    s.ha('DISARM', codes.family);
    t.is(s.haLines().slice(-1), ['home assistant: disarm refused: locked_out'], "the tenth (another user's code) locks");
    t.is(s.panel.snapshot().lockout, 90, 'every entry point for 90 s');
    t.ok(s.panel.events().some((e) => e.code === 461 && e.q === 1), '461 reported');
    t.is(s.panel.keypad('arm_away', s.first.masterCode).ok, false, 'the keypad is locked too');
    t.ok(s.host.lines.every((l) => !l.includes(codes.ha) && !l.includes(s.first.masterCode)), 'no code in the log');
  },

  'Home Assistant: bad commands change nothing; unsupported actions are refused': (t) => {
    const s = boot({ ha: true });
    const seq = s.panel.status().lastSeq;
    for (const body of ['ARM_AWAY', '{"action":"ARM_AWAY"}', '{"action":"TRIGGER","code":"4321"}', '[1]', '\u00ff\u00fe']) s.deliver(T('ha/set'), ascii(body));
    t.is(s.haLines(), [
      'home assistant: command ignored: not JSON',
      'home assistant: command ignored: code missing',
      'home assistant: command ignored: action "TRIGGER" is not one the panel takes',
      'home assistant: command ignored: not a JSON object',
    ], 'each named; a repeat within the minute is counted, not logged again');
    s.host.runTo(s.panel, s.host.uptimeMs + 60_000);
    t.ok(s.host.lines.some((l) => /^1 Home Assistant commands ignored \(not JSON\) since uptime \d+ s$/.test(l)), 'then one line with the count');
    t.is([s.panel.snapshot().mode, s.panel.status().lastSeq], ['disarmed', seq], 'nothing changed');
  },

  'Home Assistant: a renamed zone is discovered again and a removed one forgotten, on the same link': (t) => {
    const s = boot({ ha: true });
    const links = s.broker.linkCount;
    const config = JSON.parse(JSON.stringify(s.config)) as PanelConfig;
    config.alarm.zones = config.alarm.zones.filter((z) => z.number !== 2).map((z) => ({ ...z, name: 'Porch door' }));
    config.pins.motion = [];
    const checked = validateConfig(config);
    t.ok(checked.ok, 'a valid config');
    if (!checked.ok) return;
    s.panel.reconfigure(checked.config, 1);
    s.step();
    const zone1 = s.broker.retained.get('homeassistant/binary_sensor/p1/zone_1/config')!;
    t.is((JSON.parse(text(zone1)) as { name: string }).name, 'Porch door', 'the new name');
    t.is(s.broker.retained.get('homeassistant/binary_sensor/p1/zone_2/config')!.length, 0, 'zone 2 emptied: HA removes it');
    t.is(s.broker.retained.get(T('ha/zone/2'))!.length, 0, 'and its state cleared');
    t.is(text(s.broker.retained.get(T('ha/state'))!), 'disarmed', 'the rest stays');
    t.is(s.broker.linkCount, links, 'no new link for it');
  },

  'Home Assistant off: no discovery, no subscription; turning it off clears what HA knew': (t) => {
    const off = boot();
    t.is([...off.broker.retained.keys()].filter((k) => k.startsWith('homeassistant/') || k.includes('/ha/')), [], 'nothing for HA by default');
    t.ok(!off.broker.subscriptions.includes(T('ha/set')), 'no command topic');
    off.deliver(T('ha/set'), ascii(JSON.stringify({ action: 'ARM_AWAY', code: codes.ha })));
    t.is(off.panel.snapshot().mode, 'disarmed', 'an HA command does nothing');

    const s = boot({ ha: true });
    const config = JSON.parse(JSON.stringify(s.config)) as PanelConfig;
    config.homeAssistant.enabled = false;
    s.panel.reconfigure(config, 1);
    s.host.runTo(s.panel, s.host.uptimeMs + 5000);
    const cleared = [...s.broker.retained.entries()].filter(([, v]) => v.length === 0).map(([k]) => k);
    t.is(cleared.filter((k) => k.startsWith('homeassistant/')).length, 3, 'each discovery config emptied: HA removes the entities');
    t.is(cleared.filter((k) => k.includes('/ha/')).sort(), [T('ha/state'), T('ha/zone/1'), T('ha/zone/2')], 'and the HA state topics cleared');
    s.ha('ARM_AWAY', codes.ha);
    t.is(s.panel.snapshot().mode, 'disarmed', 'HA commands no longer act');
  },
});
