/** JSON to a Lua 5.1 table literal, so health-check fixtures reach a real Lua interpreter without a JSON library. */

function luaString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r')}"`;
}

/** A Lua expression equal to `v` (objects become tables with string keys, arrays 1-based sequences, null nil). */
export function toLua(v: unknown): string {
  if (v === null || v === undefined) return 'nil';
  if (typeof v === 'string') return luaString(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `{ ${v.map(toLua).join(', ')} }`;
  if (typeof v === 'object') {
    const fields = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== null && x !== undefined)
      .map(([k, x]) => `[${luaString(k)}] = ${toLua(x)}`);
    return `{ ${fields.join(', ')} }`;
  }
  throw new Error(`cannot render ${typeof v} as Lua`);
}
