// The judge: the real Moddable toolchain and runtime. mcconfig builds the firmware for esp32, esp32/esp32s3 and esp32/esp32c3
// (tsc, xsc, xsl with preload and freeze: every module of ours and every library must load
// in the linker and link) and for lin, whose mc.so runs the whole panel under mcsim against
// mosquitto, checked by an independent subscriber (MQTT.js + cbor2), killed and restarted.
// Without the SDK's host tools ($MODDABLE), one line says so and nothing here runs.
import test, { type ExecutionContext } from 'ava';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decode } from 'cbor2';
import { encodeKey } from '../../src/uplink/keys.ts';
import { openUplink } from '../../src/uplink/uplink-auth.ts';
import { decodeState } from '../../src/uplink/payloads.ts';
import { signCommand, decodeReply, type Command } from '../../src/uplink/commands.ts';
import { Mosquitto } from '../support/brokers.ts';
import { Subscriber, readEvent, firstArrivals, range } from '../uplink/subscriber.ts';
import { keyOf } from '../commands/fixtures.ts';
import { unavailable, linkEsp32, buildLin, warningsByModule, type Esp32Link } from '../../tools/moddable/sdk.ts';
import { buildModdableLibs } from '../../tools/build.ts';
import { Display, LinPanel, provisionLin } from '../../tools/moddable/lin-panel.ts';

if (unavailable) {
  console.log(`moddable: skipped (${unavailable})`);
  test.skip('moddable: esp32 link and lin run (needs the SDK host tools)', () => {});
} else {
  /**
   * A warning of ours: a module of ours, and a path that does not go through cbor-x's Encoder and
   * Decoder (made in src/uplink/cbor.ts; their state is cbor-x's shared working buffer and
   * options, counted with the library). Each is a RAM pointer for something we left mutable.
   */
  const ours = (line: string) => /^### warning: (src|drivers|hosts)\//.test(line) && !/\b(encoder|decoder)[.:]/.test(line);

  /** What each esp32 platform must link with: its board file as drivers/boards/current, and that board's pins in mc/config. */
  const boards = {
    esp32: { file: 'drivers/boards/esp32.ts', sirenPin: 25, setupButtonPin: 0 },
    'esp32/esp32s3': { file: 'drivers/boards/esp32s3.ts', sirenPin: 7, setupButtonPin: 0 },
    'esp32/esp32c3': { file: 'drivers/boards/esp32c3.ts', sirenPin: 10, setupButtonPin: 9 },
  } as const;

  const checkLink = (t: ExecutionContext, platform: keyof typeof boards, link: Esp32Link) => {
    t.is(link.code, 0, `${platform}: ${link.output.slice(-4000)}`);
    t.notRegex(link.output, /error TS\d+/, `${platform}: TypeScript errors`);
    t.is(link.boardSource, boards[platform].file, `${platform}: the board module in the build`);
    t.like(link.config, { sirenPin: boards[platform].sirenPin, setupButtonPin: boards[platform].setupButtonPin }, `${platform}: mc/config`);
    t.log(`${platform}: linked in ${(link.ms / 1000).toFixed(1)} s; xsl warnings by module: ${JSON.stringify(warningsByModule(link.output))}`);
    t.log(`${platform}: littlefs storage partition: ${link.storageBytes} bytes (hosts/esp32/partitions.csv)`);
    t.true((link.storageBytes ?? 0) >= 1024 * 1024, `${platform}: the journal gets at least 1 MB of flash, not mcconfig's 64 KB`);
    t.deepEqual(link.output.split('\n').filter(ours), [], `${platform}: our own modules export nothing mutable`);
  };

  test.serial('esp32: mcconfig builds, tsc, xsc and xsl pass with everything preloaded', async (t) => {
    t.timeout(600_000); // a whole build: about 40 s on two idle cores
    checkLink(t, 'esp32', await linkEsp32());
  });

  test.serial('esp32/esp32s3 and esp32/esp32c3: each links with its own board file and pins', async (t) => {
    t.timeout(900_000); // two whole builds side by side
    await buildModdableLibs();
    const [s3, c3] = await Promise.all([linkEsp32('esp32/esp32s3', { libs: false }), linkEsp32('esp32/esp32c3', { libs: false })]);
    checkLink(t, 'esp32/esp32s3', s3);
    checkLink(t, 'esp32/esp32c3', c3);
  });

  /** The lin build, made once (the C of the SDK is compiled every time: about a minute) for both runs. */
  let linBuild: ReturnType<typeof buildLin> | undefined;

  /**
   * What a lin run needs, all stopped when the test ends: the build, mosquitto, an independent subscriber on the
   * panel's topics, the display, the control link's port and an empty flash directory. `powerOn(boot)` starts mcsim
   * on that flash (the last one started is killed at the end).
   */
  async function linRig(t: ExecutionContext) {
    const lin = await (linBuild ??= buildLin());
    t.is(lin.code, 0, lin.output.slice(-4000));
    const broker = await Mosquitto.start();
    const url = `mqtt://127.0.0.1:${broker.port}`;
    const sub = await Subscriber.connect(url, ['alarm/lin1/#']);
    const display = await Display.start();
    const server = await LinPanel.listen();
    const flash = mkdtempSync(path.join(tmpdir(), 'lin-flash-'));
    let panel: LinPanel | undefined;
    t.teardown(async () => {
      await panel?.kill();
      server.close();
      await display.stop();
      await sub.close();
      await broker.stop();
    });
    return {
      url, sub, flash, controlPort: (server.address() as { port: number }).port,
      powerOn: (boot: number) => (panel = LinPanel.start(lin.so, flash, display, server)).powerOn(boot),
    };
  }

  test.serial('lin: the panel runs under mcsim, survives SIGKILL, loses no event and never lowers its state', async (t) => {
    t.timeout(600_000); // a whole build, then the run
    const { url, sub, flash, controlPort, powerOn } = await linRig(t);

    // The config on "flash", as the portal would have saved it: an instant door, no delays, user 1's key.
    provisionLin(flash, { brokerUrl: url, controlPort, remoteKey: encodeKey(keyOf(1)) });

    const events = () => sub.on('alarm/lin1/event').map((m) => readEvent(m.payload));
    const state = () => {
      const last = sub.on('alarm/lin1/state').at(-1);
      return last ? decode(last.payload) as Map<string, unknown> | Record<string, unknown> : undefined;
    };
    const mode = () => {
      const s = state();
      return s instanceof Map ? s.get('mode') : s?.mode;
    };
    let counter = 0;
    let id = 100;
    const command = async (action: Command['action']): Promise<Record<string, unknown>> => {
      const cmd: Command = { id: ++id, action, args: action.startsWith('arm') ? { force: false } : {}, counter: ++counter, time: Math.floor(Date.now() / 1000) };
      await sub.client.publishAsync('alarm/lin1/cmd', Buffer.from(signCommand(cmd, 1, keyOf(1))), { qos: 1 });
      let reply: Record<string, unknown> | undefined;
      await sub.until(() => sub.on('alarm/lin1/reply').some((m) => {
        const r = decodeReply(m.payload);
        if ('reply' in r && r.reply.id === cmd.id) reply = r.reply as unknown as Record<string, unknown>;
        return reply !== undefined;
      }), `the reply to ${action}`, 20_000);
      return reply!;
    };

    // Boot 1: closed door and tamper loop, quiet PIR.
    let panel = await powerOn(1);
    await sub.until(() => sub.on('alarm/lin1/status').some((m) => Buffer.from(m.payload).toString() === 'online'), 'online');

    t.like(await command('arm_away'), { ok: true });
    await sub.until(() => mode() === 'armed_away', 'armed away', 20_000);

    await panel.output(25, 0, 'the end of the arming chirp');

    // The door opens: the siren pin goes on, a burglary event goes out.
    panel.pin(32, 1);
    await panel.output(25, 1, 'the siren on');
    await sub.until(() => events().some((e) => e.code === 130 && e.q === 1), 'the burglary event');
    await sub.until(() => mode() === 'triggered', 'triggered');

    // Power cut, then power back: boot 2 resumes triggered, the siren sounds again.
    await panel.kill();
    const seqBeforeCut = Math.max(...events().map((e) => e.seq));
    panel = await powerOn(2);
    await panel.output(25, 1, 'the siren on again after the restart');
    await sub.until(() => events().some((e) => e.boot === 2 && e.code === 305), 'the restart event of boot 2');
    await sub.until(() => mode() === 'triggered', 'still triggered after the restart');

    // The owner disarms from afar: the siren stops.
    t.like(await command('disarm'), { ok: true });
    await panel.output(25, 0, 'the siren off');
    await sub.until(() => mode() === 'disarmed', 'disarmed');

    // Every event arrived, in order of seq, none lost across the cut.
    const seqs = firstArrivals(events().map((e) => e.seq));
    const last = Math.max(...seqs);
    t.true(last > seqBeforeCut);
    t.deepEqual([...seqs].sort((a, b) => a - b), range(last), `events seen: ${seqs.join(',')}`);
    t.true(events().some((e) => e.code === 401 && e.q === 1 && e.boot === 2), 'the disarm (401, opening) of boot 2');
  });

  test.serial('lin: with the uplink key, what the panel publishes opens with it: authenticated (COSE_Mac0), then sealed (COSE_Encrypt0)', async (t) => {
    // The product's own configuration, on the real runtime: the MACs over Moddable's native Digest and `hmac`
    // (src/hash as the manifest maps it), and sealed mode's ChaCha20 from native `crypt` with Poly1305 of
    // @noble/ciphers (src/aead), preloaded and frozen.
    t.timeout(600_000);
    const { url, sub, flash, controlPort, powerOn } = await linRig(t);
    const key = new Uint8Array(32).map((_, i) => (i * 7 + 3) & 0xff);
    // What arrived on `topic` since this boot began (a retained state of the boot before is not this boot's), opened.
    const since = { state: 0, event: 0 };
    const opened = (topic: 'state' | 'event') => sub.on(`alarm/lin1/${topic}`).slice(since[topic])
      .map((m) => ({ bytes: m.payload, open: openUplink(m.payload, key, 'lin1', topic) }));

    for (const [boot, sealed] of [[1, false], [2, true]] as const) {
      since.state = sub.on('alarm/lin1/state').length;
      since.event = sub.on('alarm/lin1/event').length;
      provisionLin(flash, { brokerUrl: url, controlPort, uplink: encodeKey(key), sealed });
      const panel = await powerOn(boot);
      const kind = sealed ? 'sealed' : 'authenticated';
      // The restart event (305) of this boot, and a state published after it, both open with the key.
      const restart = () => opened('event').find((m) => m.open.ok && readEvent(m.open.payload).boot === boot && readEvent(m.open.payload).code === 305);
      await sub.until(() => restart() !== undefined, `boot ${boot}: the restart event, ${kind}`, 20_000);
      const envelope = restart()!.bytes[0]; // CBOR tag 17 (COSE_Mac0) is 0xd1, tag 16 (COSE_Encrypt0) 0xd0
      t.is(envelope, sealed ? 0xd0 : 0xd1, `boot ${boot}: the event is a ${sealed ? 'COSE_Encrypt0' : 'COSE_Mac0'}`);
      await sub.until(() => opened('state').length > 0, `boot ${boot}: a state`, 20_000);
      const state = opened('state').at(-1)!;
      t.is(state.bytes[0], envelope, `boot ${boot}: the state in the same envelope`);
      t.is(state.open.ok && decodeState(state.open.payload).mode, 'disarmed', `boot ${boot}: the state opens with the key (${kind})`);
      const plain = Buffer.from(state.bytes).includes('disarmed');
      t.is(plain, !sealed, sealed ? 'sealed: the broker sees no plaintext of the state' : 'authenticated: the payload is readable CBOR');
      await panel.kill();
    }
    const forged = sub.on('alarm/lin1/event').map((m) => openUplink(m.payload, new Uint8Array(32), 'lin1', 'event'));
    t.true(forged.length > 0 && forged.every((o) => !o.ok), 'no event opens with another key');
  });
}
