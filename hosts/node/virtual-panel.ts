// The virtual panel: a page that stands in for the hardware (zones to click, tamper loops,
// a siren lamp, a keypad, the state and a live event feed), and the control API under it.
//
//   GET  /                 the page (self-contained HTML/JS)
//   GET  /sim/state        board levels, siren output, snapshot, status
//   GET  /sim/log?max=N    the newest N events of the log, oldest first
//   GET  /sim/events       Server-Sent Events: `state`, `siren`, `event` (the recent log first)
//   POST /sim/pin          {pin, level}   drives an input pin, as a wire would
//   POST /sim/zone         {zone, open}   opens/closes a zone's contact (or PIR output)
//   POST /sim/keypad       {action, code, zone?, force?}   the panel's keypad
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Panel } from '../../src/app.ts';
import type { PanelEvent } from '../../src/core/events.ts';
import type { KeypadAction } from '../../src/core/io.ts';
import { eachInput, type InputEntry, type PinConfig } from '../../drivers/config.ts';
import type { SimTile } from '../../drivers/components.ts';
import { openLevel } from '../../drivers/input.ts';
import type { NodeHost } from './host.ts';
import { formatEvent } from './event-line.ts';
import { HttpError, pathOf, readJson, sendJson, type RouteHandler } from './web.ts';

const page = readFileSync(new URL('./virtual-panel.html', import.meta.url), 'utf8');
/** JSON that is safe inside a <script> element (no "</script>" can close it early). */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');
const keypadActions: readonly KeypadAction[] = ['arm_away', 'arm_home', 'arm_night', 'disarm', 'silence', 'bypass', 'unbypass'];
const routes = new Set(['/', '/index.html', '/sim/state', '/sim/log', '/sim/events', '/sim/pin', '/sim/zone', '/sim/keypad']);
/** Events the feed starts with. */
const BACKLOG = 50;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One input as the simulator shows it: the wire's level, and what it means. */
export interface SimInput {
  zone: number;
  name: string;
  /** Its kind in the drivers' table ('door', 'motion'), and what its tile shows and does. */
  kind: string;
  tile: SimTile;
  pin: number;
  /** The contact (or PIR output) is open at the wire, whatever the panel has made of it yet. */
  open: boolean;
  tamperPin?: number;
  /** The tamper loop is cut. */
  tamper?: boolean;
}

export interface VirtualPanel {
  handler: RouteHandler;
  /** Ends every event stream (for shutdown). */
  close(): void;
}

export function virtualPanel(panel: Panel, host: NodeHost): VirtualPanel {
  const streams = new Set<ServerResponse>();
  let lastState = '';

  const pins = (): PinConfig => panel.config().pins;
  const zoneName = (zone: number) => panel.config().alarm.zones.find((z) => z.number === zone)?.name;

  const inputs = (): SimInput[] => {
    const p = pins();
    const all: Array<[InputEntry, Pick<SimInput, 'kind' | 'tile'>]> = [];
    eachInput(p, (z, kind) => all.push([z, kind]));
    return all.sort((a, b) => a[0].zone - b[0].zone).map(([z, { kind, tile }]) => {
      const input: SimInput = { zone: z.zone, name: zoneName(z.zone) ?? `Zone ${z.zone}`, kind, tile, pin: z.pin, open: host.board.level(z.pin) === openLevel(z) };
      if (z.tamperPin !== undefined) {
        input.tamperPin = z.tamperPin;
        input.tamper = host.board.level(z.tamperPin) === 1;
      }
      return input;
    });
  };

  const sirenOutput = () => {
    const { pin, activeLow } = pins().siren;
    const level = host.board.level(pin);
    return { pin, level, on: level === (activeLow ? 0 : 1), driver: panel.sirenState() };
  };

  const state = () => {
    const cfg = panel.config();
    const board: Record<string, number> = {};
    for (const input of inputs()) {
      board[input.pin] = host.board.level(input.pin);
      if (input.tamperPin !== undefined) board[input.tamperPin] = host.board.level(input.tamperPin);
    }
    const siren = sirenOutput();
    board[siren.pin] = siren.level;
    const { snapshot, boot, lastSeq, outbox, uplink } = panel.status();
    return {
      panel: { id: cfg.panel.id, name: cfg.panel.name }, speed: host.speed, uptime: host.clock.uptime(),
      snapshot, siren, board, inputs: inputs(),
      status: { boot, lastSeq, outbox, uplink: uplink ? { up: uplink.up, protocol: uplink.protocol, lastReason: uplink.lastReason } : undefined },
    };
  };

  const send = (res: ServerResponse, name: string, data: unknown) => res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  const broadcast = (name: string, data: unknown) => { for (const res of streams) send(res, name, data); };
  const withText = (event: PanelEvent) => ({ ...event, text: formatEvent(event, zoneName) });

  /** Pushes the state to viewers when it changed (the uptime alone does not count). */
  const refresh = () => {
    if (streams.size === 0) return;
    const { uptime, ...rest } = state();
    const text = JSON.stringify(rest);
    if (text === lastState) return;
    lastState = text;
    broadcast('state', { uptime, ...rest });
  };

  panel.onEvent((event) => broadcast('event', withText(event)));
  host.onService = refresh;
  host.board.onDrive = (pin, level) => {
    if (pin === pins().siren.pin) broadcast('siren', { ...sirenOutput(), level, at: host.clock.uptime() });
  };

  const stream = (req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
    for (const event of panel.events(BACKLOG)) send(res, 'event', withText(event));
    send(res, 'state', state());
    streams.add(res);
    res.once('close', () => streams.delete(res));
  };

  const setPin = (pin: number, level: 0 | 1) => {
    try {
      host.board.set(pin, level);
    } catch (err) {
      throw new HttpError(409, (err as Error).message); // an output: the panel drives it
    }
    host.onService?.(); // the wire moved: viewers see it before the debounce settles
  };

  const handler: RouteHandler = async (req, res) => {
    const path = pathOf(req);
    const route = `${req.method} ${path}`;
    switch (route) {
      case 'GET /':
      case 'GET /index.html':
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        res.end(page.replace('/*STATE*/', () => scriptJson(state())));
        return true;
      case 'GET /sim/state':
        sendJson(res, 200, state());
        return true;
      case 'GET /sim/log': {
        const max = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('max') ?? 100);
        if (!Number.isInteger(max) || max < 1 || max > 10_000) throw new HttpError(400, 'max must be a whole number from 1 to 10000');
        sendJson(res, 200, panel.events(max));
        return true;
      }
      case 'GET /sim/events':
        stream(req, res);
        return true;
      case 'POST /sim/pin': {
        const body = await readJson(req);
        if (!isObj(body)) throw new HttpError(400, 'send {"pin": GPIO, "level": 0 or 1}');
        const { pin, level } = body;
        if (!Number.isInteger(pin) || (pin as number) < 0 || (pin as number) > 39) throw new HttpError(400, 'pin must be a GPIO number from 0 to 39');
        if (level !== 0 && level !== 1) throw new HttpError(400, 'level must be 0 or 1');
        setPin(pin as number, level);
        sendJson(res, 200, { pin, level: host.board.level(pin as number) });
        return true;
      }
      case 'POST /sim/zone': {
        const body = await readJson(req);
        if (!isObj(body)) throw new HttpError(400, 'send {"zone": number, "open": true or false}');
        const { zone, open } = body;
        if (typeof open !== 'boolean') throw new HttpError(400, 'open must be true or false');
        const p = pins();
        let wired: InputEntry | undefined;
        eachInput(p, (z) => { if (z.zone === zone) wired ??= z; });
        if (!wired) throw new HttpError(404, `no input is wired to zone ${JSON.stringify(zone)}`);
        const at = openLevel(wired);
        setPin(wired.pin, open ? at : at ? 0 : 1);
        sendJson(res, 200, { zone, open, pin: wired.pin, level: host.board.level(wired.pin) });
        return true;
      }
      case 'POST /sim/keypad': {
        const body = await readJson(req);
        if (!isObj(body)) throw new HttpError(400, 'send {"action": …, "code": "digits"}');
        const { action, code, zone, force } = body;
        if (!keypadActions.includes(action as KeypadAction)) throw new HttpError(400, `action must be one of ${keypadActions.join(', ')}`);
        if (typeof code !== 'string') throw new HttpError(400, 'code must be text');
        if (zone !== undefined && !Number.isInteger(zone)) throw new HttpError(400, 'zone must be a zone number');
        if (force !== undefined && typeof force !== 'boolean') throw new HttpError(400, 'force must be true or false');
        const result = panel.keypad(action as KeypadAction, code, { zone: zone as number | undefined, force: force as boolean | undefined });
        sendJson(res, 200, { ...result, mode: panel.snapshot().mode });
        return true;
      }
    }
    if (routes.has(path)) throw new HttpError(405, `${req.method} is not served at ${path}`);
    return false;
  };

  return {
    handler,
    close() {
      for (const res of streams) res.end();
      streams.clear();
    },
  };
}
