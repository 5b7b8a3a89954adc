import { describe, expect, it } from 'vitest';
import { componentInfo } from './component.ts';
import { OciError } from './errors.ts';
import { u32leb } from './wasm-encoding.ts';

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];
const name = (s: string) => [...u32leb(s.length), ...new TextEncoder().encode(s)];
const section = (id: number, payload: number[]) => [id, ...u32leb(payload.length), ...payload];
// One instance import (externdesc 0x05 <type>) and one func export (sort 0x01 <index>, no type ascription).
const imports = section(10, [1, 0x00, ...name('wasi:cli/environment@0.2.0'), 0x05, 0]);
const exports = section(11, [1, 0x00, ...name('wasi:cli/run@0.2.0'), 0x01, 0, 0x00]);

describe('componentInfo', () => {
  it('reads the world a component imports and exports', () => {
    expect(componentInfo(new Uint8Array([...HEADER, ...imports, ...exports]))).toEqual({ imports: ['wasi:cli/environment@0.2.0'], exports: ['wasi:cli/run@0.2.0'] });
  });

  it.each([
    { name: 'a truncated section', bytes: [...HEADER, ...imports.slice(0, -3)], message: /expected section 10 of \d+ bytes, got end of file/ },
    { name: 'a name running past its section', bytes: [...HEADER, ...section(10, [1, 0x00, 40, 0x61])], message: /wasm component: expected a valid component binary, got a truncated byte stream/ },
    { name: 'an overlong LEB128 count', bytes: [...HEADER, ...section(10, [0x80, 0x80, 0x80, 0x80, 0x80, 0x00])], message: /unsigned LEB128 longer than 5 bytes/ },
  ])('refuses $name as InvalidArtifact', ({ bytes, message }) => {
    const refused = (() => {
      try {
        componentInfo(new Uint8Array(bytes));
      } catch (err) {
        return err;
      }
    })();
    expect(refused).toBeInstanceOf(OciError);
    expect(refused).toMatchObject({ code: 'InvalidArtifact' });
    expect((refused as OciError).message).toMatch(message);
  });
});
