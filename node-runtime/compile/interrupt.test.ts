import { describe, expect, it } from 'vitest';
import { sleb } from '../../artifacts/wasm-encoding.ts';
import { assemble, I32, OP } from '../testing/assemble.ts';
import { INTERRUPT_IMPORT, instrumentInterrupts } from './interrupt.ts';
import { readOutline } from './wasm-binary.ts';

const VOID = { params: [], results: [] };
const TO_I32 = { params: [], results: [I32] };

async function instantiate(bytes: Uint8Array, interrupt: () => number, env: Record<string, () => number> = {}): Promise<WebAssembly.Instance> {
  return new WebAssembly.Instance(await WebAssembly.compile(bytes), { env, [INTERRUPT_IMPORT.module]: { [INTERRUPT_IMPORT.name]: interrupt } });
}

describe('instrumentInterrupts', () => {
  it('stops an endless loop once the host says so, and asks the host every budget of checks', async () => {
    const looping = assemble({ types: [VOID], funcs: [{ type: 0, body: [OP.loop, 0x40, OP.br, 0, OP.end] }], memory: { min: 1 }, exports: [{ name: 'run', kind: 'func', index: 0 }] });
    const { bytes, instrumented } = instrumentInterrupts(looping);
    expect(instrumented).toBe(true);
    let asked = 0;
    const instance = await instantiate(bytes, () => {
      if (++asked === 5) throw new Error('deadline');
      return 1000;
    });
    expect(() => (instance.exports.run as () => void)()).toThrow('deadline');
    // The first check asks at once (the countdown starts at 0), then every 1000 checks.
    expect(asked).toBe(5);
  });

  it('keeps what the module computes: calls, imports, the start function and exports renumbered', async () => {
    // An imported function (index 0) and three defined ones: start sets a global, add calls the import and a helper.
    const original = assemble({
      types: [TO_I32, VOID],
      imports: [{ module: 'env', name: 'seven', type: 0 }],
      funcs: [
        { type: 1, body: [OP.i32_const, ...sleb(35), OP.global_set, 0] },
        { type: 0, body: [OP.call, 0, OP.call, 3, OP.i32_add, OP.global_get, 0, OP.i32_add] },
        { type: 0, body: [OP.i32_const, ...sleb(100)] },
      ],
      memory: { min: 1 },
      globals: [{ type: I32, mutable: true, init: 0 }],
      exports: [{ name: 'add', kind: 'func', index: 2 }, { name: 'helper', kind: 'func', index: 3 }],
      start: 1,
    });
    const { bytes } = instrumentInterrupts(original);
    expect(WebAssembly.validate(bytes)).toBe(true);
    const env = { seven: () => 7 };
    const plain = new WebAssembly.Instance(await WebAssembly.compile(original), { env });
    const checked = await instantiate(bytes, () => 1 << 30, env);
    for (const name of ['add', 'helper']) expect((checked.exports[name] as () => number)()).toBe((plain.exports[name] as () => number)());
    expect((checked.exports.add as () => number)()).toBe(142);
    expect(readOutline(bytes).imports.at(-1)).toEqual({ ...INTERRUPT_IMPORT, kind: 0 });
  });

  it('leaves a module with code it cannot decode as it was (that one is stopped by terminating its worker)', () => {
    // A legacy exception-handling `try` block: an opcode the decoder does not know.
    const bytes = assemble({ types: [VOID], funcs: [{ type: 0, body: [0x06, 0x40, OP.end] }], memory: { min: 1 } });
    expect(instrumentInterrupts(bytes)).toEqual({ bytes, instrumented: false });
  });
});
