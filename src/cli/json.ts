/** JSON.stringify that writes bigint as a decimal string and Uint8Array as hex. */
export function toJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) => {
    if (typeof x === 'bigint') return x.toString();
    if (x instanceof Uint8Array) return Buffer.from(x).toString('hex');
    return x;
  });
}
