/** A node as placement sees it. */
export interface Candidate {
  readonly name: string;
  readonly ready: boolean;
  readonly labels: Readonly<Record<string, string>>;
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
}

export interface Placement {
  /** Chosen nodes, sorted. */
  readonly nodes: string[];
  /** Ready nodes matching the selector, with or without room. */
  readonly eligible: number;
  /** Instances that found no node. */
  readonly shortfall: number;
}

/** True when `labels` carry every key/value of `selector` (an absent selector matches every node). */
export function matchesSelector(labels: Readonly<Record<string, string>>, selector: Readonly<Record<string, string>> | undefined): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
}

/**
 * Chooses the nodes for one function. Sticky: current nodes that are still ready and matching stay
 * (moving a healthy instance costs a cold start and buys nothing); missing instances go to the
 * least-loaded eligible nodes with room, ties broken by name so every replica computes the same plan.
 */
export function place(input: PlacementInput): Placement {
  const eligible = input.nodes.filter((n) => n.ready && matchesSelector(n.labels, input.nodeSelector));
  const desired = Math.max(0, input.desired);
  const byName = (a: Candidate, b: Candidate) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const kept = eligible.filter((n) => input.current.includes(n.name)).sort(byName).slice(0, desired);
  const chosen = new Set(kept.map((n) => n.name));
  const room = eligible
    .filter((n) => !chosen.has(n.name) && n.load < n.capacity)
    .sort((a, b) => a.load - b.load || byName(a, b));
  for (const n of room) {
    if (chosen.size >= desired) break;
    chosen.add(n.name);
  }
  return { nodes: [...chosen].sort(), eligible: eligible.length, shortfall: desired - chosen.size };
}
