import { OciError } from './errors.ts';
import { WasmReader } from './wasm-encoding.ts';

/** The `component` field of the Wasm OCI config: the world a component imports and exports. */
export interface ComponentInfo {
  readonly imports: string[];
  readonly exports: string[];
}

/** A malformed component: every primitive read fails as InvalidArtifact. */
const invalid = (what: string) => new OciError('InvalidArtifact', `wasm component: expected a valid component binary, got ${what}`);


/** importname'/exportname': 0x00 name | 0x01 name versionsuffix' (older encoders). */
function externName(r: WasmReader): string {
  const tag = r.byte();
  const name = r.name();
  if (tag === 0x01 && r.byte() === 0x01) r.name();
  else if (tag !== 0x00 && tag !== 0x01) throw new OciError('InvalidArtifact', `wasm component: expected an extern name tag 0x00/0x01, got 0x${tag.toString(16)}`);
  return name;
}

function externDesc(r: WasmReader): void {
  const kind = r.byte();
  if (kind === 0x00) {
    r.byte();
    r.u32();
  } else if (kind === 0x01 || kind === 0x04 || kind === 0x05) r.u32();
  else if (kind === 0x02) {
    r.byte();
    r.u32();
  } else if (kind === 0x03) {
    if (r.byte() === 0x00) r.u32();
  } else throw new OciError('InvalidArtifact', `wasm component: expected an externdesc kind 0x00-0x05, got 0x${kind.toString(16)}`);
}

/**
 * The top-level import and export names of a component (its world, e.g. `wasi:cli/run@0.2.0`), read
 * from the component's import (10) and export (11) sections without instantiating anything.
 */
export function componentInfo(wasm: Uint8Array): ComponentInfo {
  const imports: string[] = [];
  const exports: string[] = [];
  const r = new WasmReader(wasm, 8, invalid);
  while (!r.done) {
    const id = r.byte();
    const size = r.u32();
    const end = r.pos + size;
    if (end > wasm.byteLength) throw new OciError('InvalidArtifact', `wasm component: expected section ${id} of ${size} bytes, got end of file`);
    if (id === 10 || id === 11) {
      const section = new WasmReader(wasm.subarray(0, end), r.pos, invalid);
      for (let n = section.u32(); n > 0; n--) {
        const name = externName(section);
        if (id === 10) {
          imports.push(name);
          externDesc(section);
        } else {
          exports.push(name);
          if (section.byte() === 0x00) section.byte();
          section.u32();
          if (section.byte() === 0x01) externDesc(section);
        }
      }
    }
    r.pos = end;
  }
  return { imports, exports };
}
