/**
 * The package edges as a check (`npm run lint:edges`): for each room of devenv/edges/rooms.ts, one
 * rule forbidding every import of ours its entry does not allow (plus one for its unit tests'
 * exceptions and one for its forbidden npm packages, where it has them).
 */
import type { IConfiguration, IForbiddenRuleType } from 'dependency-cruiser';
import { ROOMS, ROOM_NAMES, roomPattern } from './devenv/edges/rooms.ts';
import type { RoomName } from './devenv/edges/rooms.ts';

const TEST_FILE = '\\.test\\.ts$';

const ruleName = (room: RoomName, suffix: string): string => `room-${room.replace('/', '-')}${suffix}`;
const listed = (rooms: readonly RoomName[]): string => (rooms.length ? rooms.map((r) => `${r}/`).join(', ') : 'nothing of ours');

/** A rule forbidding the files `from` of `room` every room of ours but itself and `allowed`; none if that leaves nothing. */
function edgeRule(room: RoomName, suffix: string, from: IForbiddenRuleType['from'], allowed: readonly RoomName[], why: string | undefined): IForbiddenRuleType[] {
  const targets = ROOM_NAMES.filter((r) => r !== room && !allowed.includes(r));
  if (targets.length === 0) return [];
  const comment = `${room}/${suffix ? ' unit tests' : ''} may import ${listed(allowed)}${why ? ` (${why})` : ''}`;
  return [{ name: ruleName(room, suffix), comment, severity: 'error', from, to: { path: targets.map((r) => `(${roomPattern(r)})`).join('|') } }];
}

/** The rules of one room: its edges, its unit tests' exceptions, its forbidden packages. */
function roomRules(room: RoomName): IForbiddenRuleType[] {
  const { mayImport, note, testsMayAlsoImport, forbiddenPackages } = ROOMS[room];
  const path = roomPattern(room);
  return [
    ...edgeRule(room, '', testsMayAlsoImport ? { path, pathNot: TEST_FILE } : { path }, mayImport, note),
    ...(testsMayAlsoImport ? edgeRule(room, '-tests', { path: `${path}.*${TEST_FILE}` }, [...mayImport, ...testsMayAlsoImport.rooms], testsMayAlsoImport.why) : []),
    ...(forbiddenPackages?.length
      ? [{ name: ruleName(room, '-packages'), comment: `${room}/ may not import the npm packages ${forbiddenPackages.join(', ')}`, severity: 'error' as const, from: { path }, to: { path: `^node_modules/(${forbiddenPackages.join('|')})/` } }]
      : []),
  ];
}

const config: IConfiguration = {
  forbidden: ROOM_NAMES.flatMap(roomRules),
  options: {
    // Imports name their .ts files (allowImportingTsExtensions), so plain resolution finds them; no
    // tsConfig: its paths plugin resolves bare names from the root, the npm package `constructs` to
    // our constructs/. Type-only imports are edges too.
    tsPreCompilationDeps: true,
    // node_modules is a symlink in worktrees: keep its paths repo-relative so the package rule matches.
    preserveSymlinks: true,
    doNotFollow: { path: '^node_modules/' },
    // What eslint ignores: rendered output and the example functions' build output.
    exclude: { path: '^(gitops|cdk8s\\.out)/|^examples/functions/.*/build/' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'types', 'default'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
  },
};

export default config;
