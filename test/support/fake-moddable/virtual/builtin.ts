// STAND-IN for Moddable's `embedded:provider/builtin`, test only: ECMA-419 Digital pins on
// the world's board. As on the ESP32, an output opens driven low, and a pin already open
// cannot be opened again.
import { SimDigital, type DigitalOptions } from '../../../../hosts/xs/sim-digital';
import { world } from './world';

class Digital extends SimDigital {
  constructor(options: DigitalOptions) {
    super(world.board, options);
    if (options.mode === SimDigital.Output) world.board.drive(options.pin, 0); // gpio_set_level(pin, 0) before it becomes an output
  }
}

export default { io: { Digital } };
