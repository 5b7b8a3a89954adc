/**
 * `flotilla run`: one module as a command, like `wasmtime run`, on the same engine as the node
 * (same rewrite, WASI layer and instances), in this thread. stdin, stdout and stderr are the
 * process's; the exit code is the module's.
 */
import * as fs from 'node:fs';
import type { InputSource, OutputSink, WasiIo } from '../wasi/host.ts';
import { ModuleInstances, type LoadedModule } from './instances.ts';
import { ThreadCapabilities } from './link.ts';

/** Reads the process's stdin synchronously (the module's fd_read is synchronous). */
export function processStdin(): InputSource {
  return {
    read(into) {
      for (;;) {
        try {
          return fs.readSync(0, into, 0, into.length, null);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'EAGAIN') continue; // a non-blocking TTY/pipe with nothing yet
          if (code === 'EOF') return 0;
          throw err;
        }
      }
    },
  };
}

/** Writes straight to a file descriptor of this process. */
export function fdSink(fd: number): OutputSink {
  return {
    write(bytes) {
      let off = 0;
      while (off < bytes.length) off += fs.writeSync(fd, bytes, off, bytes.length - off);
    },
  };
}

/** A command's I/O is exactly one WASI invocation's. */
export type CommandIo = WasiIo;

/** Links and runs `_start` once; resolves to the module's exit code (traps reject with a NodeRuntimeError). */
export async function runCommand(loaded: LoadedModule, io: CommandIo): Promise<number> {
  return (await ModuleInstances.create(loaded, new ThreadCapabilities())).run(io).exitCode;
}
