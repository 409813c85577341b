// STAND-IN for Moddable's `sntp` module, test only: answers with the world's epoch when the
// station is up and the server is not listed dead; otherwise fails after its retries.
import { world } from './world';

export default class SNTP {
  static readonly time = 1;
  static readonly retry = 2;
  static readonly error = -1;
  constructor(options: { host: string }, callback: (message: number, value?: number) => void) {
    world.sntp(options.host, callback);
  }
}
