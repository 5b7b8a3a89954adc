/**
 * Renders the layout table and package graph of docs/architecture.md from rooms.ts, the data the
 * edge check enforces. `node devenv/edges/render.ts` (npm run docs:edges) rewrites the section;
 * edges.test.ts fails while the doc and the data disagree.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { ROOMS, ROOM_NAMES } from './rooms.ts';
import type { Room, RoomName } from './rooms.ts';

/** The doc that carries the generated section. */
export const ARCHITECTURE_DOC = new URL('../../docs/architecture.md', import.meta.url);

const BEGIN = '<!-- edges:begin -->';
const END = '<!-- edges:end -->';

const folders = (rooms: readonly RoomName[]): string => rooms.map((r) => `\`${r}/\``).join(', ');

function mayImport(room: Room): string {
  const parts = [room.mayImport.length ? folders(room.mayImport) : 'nothing of ours'];
  if (room.forbiddenPackages?.length) parts.push(`not the packages ${room.forbiddenPackages.map((p) => `\`${p}\``).join(', ')}`);
  if (room.note) parts.push(room.note);
  if (room.testsMayAlsoImport) parts.push(`its unit tests also ${folders(room.testsMayAlsoImport.rooms)} (${room.testsMayAlsoImport.why})`);
  return parts.join('; ');
}

// Mermaid ids cannot hold '/' or '-'.
const id = (room: RoomName): string => room.replace(/[/-]/g, '_');

/** Whether `room` may import every room before it: drawn, its arrows would say nothing. */
const importsAllBefore = (room: RoomName): boolean => ROOM_NAMES.slice(0, ROOM_NAMES.indexOf(room)).every((r) => ROOMS[room].mayImport.includes(r));

/** The rooms at the end of the list that each import every room before them (cli/, bench/, test/). */
function roomsOnTop(): RoomName[] {
  const below = ROOM_NAMES.findLastIndex((r) => !importsAllBefore(r));
  return ROOM_NAMES.slice(below + 1);
}

/** The generated section: the table, then the graph of the rooms not on top. */
export function renderLayout(): string {
  const table = ['| folder | holds | may import |', '| --- | --- | --- |', ...ROOM_NAMES.map((r) => `| \`${r}/\` | ${ROOMS[r].holds} | ${mayImport(ROOMS[r])} |`)];
  const top = roomsOnTop();
  const drawn = ROOM_NAMES.filter((r) => !top.includes(r));
  const graph = [
    '```mermaid',
    'flowchart TD',
    ...drawn.map((r) => `  ${id(r)}["${r}/"]`),
    ...drawn.flatMap((r) => ROOMS[r].mayImport.map((to) => `  ${id(r)} --> ${id(to)}`)),
    ...drawn.flatMap((r) => (ROOMS[r].testsMayAlsoImport?.rooms ?? []).map((to) => `  ${id(r)} -. unit tests .-> ${id(to)}`)),
    '```',
  ];
  return [
    BEGIN,
    '<!-- generated from devenv/edges/rooms.ts by `npm run docs:edges`; edit the data, not this -->',
    ...table,
    '',
    `An arrow is an allowed import; a dotted one is allowed to unit tests only. ${folders(top)} may import every room above them in the table and are left out.`,
    '',
    ...graph,
    END,
  ].join('\n');
}

/** `doc` with its generated section replaced by `section`. */
export function withSection(doc: string, section: string): string {
  const start = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  if (start < 0 || end < start) throw new Error(`expected the markers ${BEGIN} and ${END} in the doc`);
  return doc.slice(0, start) + section + doc.slice(end + END.length);
}

if (import.meta.main) {
  const doc = await readFile(ARCHITECTURE_DOC, 'utf8');
  await writeFile(ARCHITECTURE_DOC, withSection(doc, renderLayout()));
}
