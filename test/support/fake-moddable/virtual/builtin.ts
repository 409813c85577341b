// STAND-IN for Moddable's `embedded:provider/builtin`, test only: ECMA-419 Digital pins on
// the world's board. As on the ESP32, an output opens driven to its `initialValue` (low when
// absent: SimDigital does it), and a pin already open cannot be opened again.
import { SimDigital, type DigitalOptions } from '../../../../hosts/xs/sim-digital';
import { world } from './world';

class Digital extends SimDigital {
  constructor(options: DigitalOptions) {
    super(world.board, options);
  }
}

export default { io: { Digital } };
