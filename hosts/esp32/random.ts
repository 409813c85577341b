// Randomness from the ESP32's hardware RNG.
//
// On the ESP32, XS's Math.random() is the hardware generator itself: the ESP platform
// header defines c_rand as esp_random and C_RAND_MAX as UINT32_MAX, and fx_Math_random
// returns c_rand() / C_RAND_MAX. Each call is one fresh 32-bit draw; a byte takes its top
// 8 bits. (Moddable's "rng" module is an RC4 stream seeded once from the same source:
// no better, and weaker.)
//
// esp_random() is a true RNG while the radio is on; without it, it is only pseudo-random.
// main.ts turns the Wi-Fi radio on before it makes any secret.

/** `n` bytes from the hardware RNG. */
export function hardwareRandomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(Math.random() * 256);
  return out;
}

/** Lower-case letters and digits without the ones read wrongly (i, l, o, 0, 1): 31 symbols. */
export const AP_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789";

/** A password of `length` characters from AP_PASSWORD_ALPHABET (rejection sampling: no bias). 12 → 59 bits. */
export function makeApPassword(randomBytes: (n: number) => Uint8Array, length = 12): string {
  const symbols = AP_PASSWORD_ALPHABET.length;
  const limit = 256 - (256 % symbols); // bytes at or above this would favour the first symbols
  let password = "";
  while (password.length < length) {
    for (const b of randomBytes(length)) {
      if (b < limit && password.length < length) password += AP_PASSWORD_ALPHABET[b % symbols];
    }
  }
  return password;
}
