/** A short description of a value for error messages. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  if (typeof v === 'string') return `'${v.length > 20 ? v.slice(0, 20) + '…' : v}'`;
  if (typeof v === 'object') return 'an object';
  return String(v);
}
