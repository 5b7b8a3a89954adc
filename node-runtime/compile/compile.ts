/** The compile stage: deadline checks (interrupt.ts), the rewrite (rewrite.ts), then V8 compiles; once per digest and limit. */
import { NodeRuntimeError } from '../errors.ts';
import { instrumentInterrupts } from './interrupt.ts';
import { rewriteModule, type ModuleLayout } from './rewrite.ts';

export interface CompiledModule {
  readonly module: WebAssembly.Module;
  readonly layout: ModuleLayout;
}

/** Rewrites and compiles verified module bytes for a function with `memoryPages` of memory. */
export async function compileModule(bytes: Uint8Array, memoryPages: number, what: string): Promise<CompiledModule> {
  const { bytes: rewritten, layout } = rewriteModule(instrumentInterrupts(bytes).bytes, memoryPages);
  try {
    return { module: await WebAssembly.compile(rewritten), layout };
  } catch (err) {
    throw new NodeRuntimeError('InvalidModule', `${what}: expected a module V8 accepts, got: ${err instanceof Error ? err.message : String(err)}; rebuild it for wasm32-wasi`, { cause: err });
  }
}
