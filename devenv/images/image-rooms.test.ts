import { readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { IMAGES } from './image.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const COMMANDS_INDEX = 'cli/commands/index.ts';

/**
 * Every file of ours `flotilla <command>` loads: the static and dynamic imports from cli/main.ts,
 * except the other subcommands, which cli/commands/index.ts loads only when they are invoked.
 */
function filesLoadedBy(command: string): Set<string> {
  const seen = new Set<string>();
  const queue = ['cli/main.ts'];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const { fileName } of ts.preProcessFile(readFileSync(join(REPO_ROOT, file), 'utf8'), true, true).importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const target = normalize(join(dirname(file), fileName));
      if (file === COMMANDS_INDEX && target !== `cli/commands/${command}.ts`) continue;
      queue.push(target);
    }
  }
  return seen;
}

describe('the rooms each image carries', () => {
  it.each(IMAGES.map((spec) => [spec.name, spec] as const))('%s: every file its command loads is in one of its rooms', (_name, spec) => {
    const files = filesLoadedBy(spec.cmd[0]!);
    expect(files.size).toBeGreaterThan(20);
    const outside = [...files].filter((f) => !spec.rooms.includes(f.split('/')[0]!));
    expect(outside).toEqual([]);
  });

  it('the operator image leaves the node runtime out, and the node runtime image the operator', () => {
    expect([...filesLoadedBy('operator')].some((f) => f.startsWith('node-runtime/'))).toBe(false);
    expect([...filesLoadedBy('node')].some((f) => f.startsWith('operator/'))).toBe(false);
  });
});
