/**
 * Runs a built example under Node's own `node:wasi`: an independent WASI host (not our runtime) that
 * checks the examples speak WAGI correctly. Test-only: the node runtime has its own WASI layer.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WASI } from 'node:wasi';

export interface WasiRun {
  readonly exitCode: number;
  readonly stdout: string;
}

/** A parsed CGI response: header lines up to the first blank line, then the body. */
export interface CgiResponse {
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * Runs `wasmFile` as a WASI command with the given env, args and stdin bytes; stdin and stdout are
 * real file descriptors (temp files), as a host passes them. Traps propagate as the thrown
 * WebAssembly.RuntimeError.
 */
export async function runUnderNodeWasi(
  wasmFile: string,
  options: { env?: Record<string, string>; args?: string[]; stdin?: string } = {},
): Promise<WasiRun> {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-wasi-'));
  const stdinPath = join(dir, 'stdin');
  const stdoutPath = join(dir, 'stdout');
  writeFileSync(stdinPath, options.stdin ?? '');
  const stdin = openSync(stdinPath, 'r');
  const stdout = openSync(stdoutPath, 'w');
  try {
    const wasi = new WASI({ version: 'preview1', args: options.args ?? ['fn'], env: options.env ?? {}, stdin, stdout, returnOnExit: true });
    const module = await WebAssembly.compile(readFileSync(wasmFile));
    const instance = await WebAssembly.instantiate(module, wasi.getImportObject() as WebAssembly.Imports);
    const exitCode = wasi.start(instance);
    return { exitCode, stdout: readFileSync(stdoutPath, 'utf8') };
  } finally {
    closeSync(stdin);
    closeSync(stdout);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Splits a CGI response; throws when the header block has no terminating blank line. */
export function parseCgi(output: string): CgiResponse {
  const end = output.indexOf('\n\n');
  if (end < 0) throw new Error(`expected CGI headers, a blank line and a body, got ${JSON.stringify(output.slice(0, 200))}`);
  const headers: Record<string, string> = {};
  for (const line of output.slice(0, end).split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`expected a 'Name: value' header line, got ${JSON.stringify(line)}`);
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body: output.slice(end + 2) };
}

/** The CGI variables of one request, as a WAGI host sets them. */
export function wagiEnv(method: string, path: string, query = '', headers: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = { REQUEST_METHOD: method, PATH_INFO: path, QUERY_STRING: query, SERVER_PROTOCOL: 'HTTP/1.1' };
  for (const [name, value] of Object.entries(headers)) env[`HTTP_${name.toUpperCase().replaceAll('-', '_')}`] = value;
  return env;
}
