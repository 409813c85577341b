// Home Assistant's side of a real panel over Debian's mosquitto, with MQTT.js standing in for HA:
// the retained discovery configs, the plain-text state, and commands through the HA user.
import test from 'ava';
import { Mosquitto } from '../support/brokers.ts';
import { Subscriber } from '../uplink/subscriber.ts';
import { LivePanel, codes } from '../monitor/live.ts';

const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');

test('discovery over mosquitto: valid JSON, retained, with what HA needs; the state in HA words', async (t) => {
  const broker = await Mosquitto.start();
  t.teardown(() => broker.stop());
  const url = `mqtt://127.0.0.1:${broker.port}`;
  const p = new LivePanel({ brokerPort: broker.port, homeAssistant: true });
  t.teardown(() => p.close());
  await p.until(() => p.up, 'the panel to connect');
  const ha = await Subscriber.connect(url, ['homeassistant/#', 'alarm/p1/ha/#', 'alarm/p1/status']); // as HA subscribes, after the panel
  t.teardown(() => ha.close());
  await ha.until(() => ha.messages.filter((m) => m.topic.startsWith('homeassistant/')).length >= 3, 'three discovery configs');
  await ha.until(() => ha.on('alarm/p1/ha/state').length > 0 && ha.on('alarm/p1/ha/zone/2').length > 0, 'the HA state');

  const configs = new Map(ha.messages.filter((m) => m.topic.startsWith('homeassistant/')).map((m) => [m.topic, m]));
  t.deepEqual([...configs.keys()].sort(), [
    'homeassistant/alarm_control_panel/p1/panel/config',
    'homeassistant/binary_sensor/p1/zone_1/config',
    'homeassistant/binary_sensor/p1/zone_2/config',
  ]);
  for (const m of configs.values()) {
    t.true(m.retain, `${m.topic} retained`);
    t.is(m.properties?.contentType, 'application/json');
  }
  const read = (topic: string) => JSON.parse(text(configs.get(topic)!.payload)) as Record<string, unknown>;
  const panel = read('homeassistant/alarm_control_panel/p1/panel/config');
  for (const key of ['name', 'unique_id', 'state_topic', 'command_topic', 'command_template', 'availability_topic', 'device']) t.true(key in panel, key);
  t.like(panel, {
    state_topic: 'alarm/p1/ha/state', command_topic: 'alarm/p1/ha/set', availability_topic: 'alarm/p1/status',
    code: 'REMOTE_CODE', code_arm_required: true, code_disarm_required: true,
  });
  const zone1 = read('homeassistant/binary_sensor/p1/zone_1/config');
  const zone2 = read('homeassistant/binary_sensor/p1/zone_2/config');
  t.like(zone1, { device_class: 'door', state_topic: 'alarm/p1/ha/zone/1', name: 'Front door' });
  t.like(zone2, { device_class: 'motion', name: 'Hall motion' });
  t.deepEqual(zone1.device, panel.device, 'one device for the panel and its zones');
  t.not(zone1.unique_id, zone2.unique_id);
  t.is(text(ha.on('alarm/p1/ha/state')[0].payload), 'disarmed');
  t.is(text(ha.on('alarm/p1/status')[0].payload), 'online', 'available');
  t.is(text(ha.on('alarm/p1/ha/zone/2')[0].payload), 'OFF');
});

test("HA commands over mosquitto: the HA user's code arms; a wrong code and another user's code are refused and count toward the lockout", async (t) => {
  const broker = await Mosquitto.start();
  t.teardown(() => broker.stop());
  const url = `mqtt://127.0.0.1:${broker.port}`;
  const p = new LivePanel({ brokerPort: broker.port, homeAssistant: true });
  t.teardown(() => p.close());
  await p.until(() => p.up && p.panel.status().uplink?.subscriptions['alarm/p1/ha/set'] === 'subscribed', "the panel to subscribe to HA's commands");
  const ha = await Subscriber.connect(url, ['alarm/p1/ha/state']);
  t.teardown(() => ha.close());
  // What HA's command_template makes of a button press and the code typed.
  const send = (action: string, code: string) => ha.client.publishAsync('alarm/p1/ha/set', JSON.stringify({ action, code }), { qos: 1 });
  const haLines = () => p.lines.filter((l) => l.startsWith('home assistant:'));

  await send('ARM_AWAY', codes.ha);
  await p.until(() => p.panel.snapshot().mode === 'arming', 'arming');
  await ha.until(() => ha.messages.some((m) => text(m.payload) === 'arming'), 'HA to see arming');
  await send('DISARM', codes.ha);
  await p.until(() => p.panel.snapshot().mode === 'disarmed', 'disarmed');

  await send('ARM_AWAY', codes.family); // a real user's code, but not the HA user's
  await p.until(() => haLines().length === 3, 'the refusal');
  t.is(haLines()[2], 'home assistant: arm_away refused: bad_code');
  t.is(p.panel.snapshot().mode, 'disarmed');
  await send('ARM_HOME', '9876'); // nobody's code
  await p.until(() => haLines().length === 4, 'the refusal');
  t.is(haLines()[3], 'home assistant: arm_home refused: bad_code');
  for (let i = 3; i <= 9; i++) await send('ARM_HOME', '0000');
  await p.until(() => haLines().length === 11, 'nine wrong codes');
  t.is(p.panel.snapshot().lockout, 0, 'nine wrong codes: not yet locked');
  await send('ARM_AWAY', p.masterCode); // the master's code: wrong here, the tenth
  await p.until(() => haLines().length === 12, 'the tenth');
  t.is(haLines()[11], 'home assistant: arm_away refused: locked_out');
  t.true(p.panel.snapshot().lockout > 80, 'locked out');
  t.true(p.panel.events().some((e) => e.code === 461 && e.q === 1), '461 reported');
  t.false(p.panel.keypad('disarm', p.masterCode).ok, 'the panel keypad is locked too');
  t.false(p.lines.some((l) => l.includes(codes.ha) || l.includes(codes.family) || l.includes(p.masterCode)), 'no code in the panel log');
});
