/** A node as placement sees it. */
export interface Candidate {
  readonly name: string;
  readonly ready: boolean;
  readonly labels: Readonly<Record<string, string>>;
  /** Its Node is cordoned: not eligible, so what runs there moves (nodes/node-labels.ts). @default false */
  readonly cordoned?: boolean;
  /** Functions the node accepts in total. */
  readonly capacity: number;
  /** Functions other than the one being placed that are already assigned to it. */
  readonly load: number;
}

export interface PlacementInput {
  /** Nodes the function runs on now (status.nodes): kept while still eligible, so placement is stable. */
  readonly current: readonly string[];
  /** Instances wanted (one per node). */
  readonly desired: number;
  readonly nodes: readonly Candidate[];
  readonly nodeSelector?: Readonly<Record<string, string>>;
  readonly topologySpread?: TopologySpread;
}

/** Spread across the values of a node label (zones, racks, sites). */
export interface TopologySpread {
  readonly topologyKey: string;
  readonly maxSkew: number;
  readonly whenUnsatisfiable: 'DoNotSchedule' | 'ScheduleAnyway';
}

export interface Placement {
  /** Chosen nodes, sorted. */
  readonly nodes: string[];
  /** Ready, uncordoned nodes matching the selector, with or without room. */
  readonly eligible: number;
  /** Instances that found no node. */
  readonly shortfall: number;
}

/** True when `labels` carry every key/value of `selector` (an absent selector matches every node). */
export function matchesSelector(labels: Readonly<Record<string, string>>, selector: Readonly<Record<string, string>> | undefined): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
}

/**
 * Chooses the nodes for one function. Sticky: current nodes that are still ready, uncordoned and matching stay
 * (moving a healthy instance costs a cold start and buys nothing); missing instances go to the
 * emptiest topology domain (with a spread), then the least-loaded eligible node with room, ties
 * broken by name so every replica computes the same plan. With DoNotSchedule, nodes without the
 * topology label are not eligible and an instance that would exceed maxSkew is left unplaced.
 */
export function place(input: PlacementInput): Placement {
  const spread = input.topologySpread;
  const strict = spread?.whenUnsatisfiable === 'DoNotSchedule';
  const eligible = input.nodes.filter(
    (n) => n.ready && n.cordoned !== true && matchesSelector(n.labels, input.nodeSelector) && (!strict || n.labels[spread.topologyKey] !== undefined),
  );
  const desired = Math.max(0, input.desired);
  const byName = (a: Candidate, b: Candidate) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const kept = eligible.filter((n) => input.current.includes(n.name)).sort(byName).slice(0, desired);
  const chosen = new Set(kept.map((n) => n.name));
  // Instances per topology domain (every domain among eligible nodes counts, even at zero).
  const domainOf = (n: Candidate) => (spread ? (n.labels[spread.topologyKey] ?? '') : '');
  const perDomain = new Map<string, number>(eligible.map((n) => [domainOf(n), 0]));
  for (const n of kept) perDomain.set(domainOf(n), (perDomain.get(domainOf(n)) ?? 0) + 1);
  const room = eligible.filter((n) => !chosen.has(n.name) && n.load < n.capacity);
  while (chosen.size < desired) {
    // Emptiest domain first (spread), then least-loaded node, then name.
    const next = room
      .filter((n) => !chosen.has(n.name))
      .sort((a, b) => (perDomain.get(domainOf(a)) ?? 0) - (perDomain.get(domainOf(b)) ?? 0) || a.load - b.load || byName(a, b))[0];
    if (!next) break;
    const counts = new Map(perDomain).set(domainOf(next), (perDomain.get(domainOf(next)) ?? 0) + 1);
    if (strict && Math.max(...counts.values()) - Math.min(...counts.values()) > spread.maxSkew) break;
    perDomain.set(domainOf(next), counts.get(domainOf(next)) ?? 0);
    chosen.add(next.name);
  }
  return { nodes: [...chosen].sort(), eligible: eligible.length, shortfall: desired - chosen.size };
}
