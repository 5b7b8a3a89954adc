import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import { OciError } from './errors.ts';
import type { Descriptor } from './manifest.ts';

const WRITE_BATCH = 1 << 20;

/**
 * Streams `chunks` into `file` and accepts the result only if it has exactly the descriptor's size and
 * digest: written to a temp name beside the target, fsynced, then renamed, so a reader never sees a
 * partial or unverified blob under its final name.
 */
export async function writeVerifiedFile(chunks: AsyncIterable<Uint8Array>, descriptor: Descriptor, file: string, what: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.partial`);
  const handle = await open(temp, 'wx', 0o644);
  let ok = false;
  try {
    const hash = createHash('sha256');
    let size = 0;
    // Network chunks are ~64 KiB; writing each one separately costs a thread-pool round trip apiece.
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    const flush = async (): Promise<void> => {
      if (pendingBytes === 0) return;
      await handle.writev(pending);
      pending = [];
      pendingBytes = 0;
    };
    for await (const chunk of chunks) {
      size += chunk.byteLength;
      if (size > descriptor.size) {
        throw new OciError('SizeMismatch', `${what}: expected ${descriptor.size} bytes, got more; refusing the rest`);
      }
      hash.update(chunk);
      pending.push(chunk);
      pendingBytes += chunk.byteLength;
      if (pendingBytes >= WRITE_BATCH) await flush();
    }
    await flush();
    if (size !== descriptor.size) throw new OciError('SizeMismatch', `${what}: expected ${descriptor.size} bytes, got ${size}`);
    const got = `sha256:${hash.digest('hex')}`;
    if (got !== descriptor.digest) {
      throw new OciError('DigestMismatch', `${what}: expected digest ${descriptor.digest}, got ${got}; the content was altered`);
    }
    await handle.sync();
    ok = true;
  } finally {
    await handle.close();
    if (!ok) await rm(temp, { force: true });
  }
  await rename(temp, file);
}

/** Reads an async byte stream into memory, refusing more than `limit` bytes. */
export async function readLimited(chunks: AsyncIterable<Uint8Array>, limit: number, what: string): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of chunks) {
    size += chunk.byteLength;
    if (size > limit) throw new OciError('TooLarge', `${what}: expected at most ${limit} bytes, got more; refusing the rest`);
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}
