// Moved to node-runtime/cluster/agent.ts (the node side of the contract lives with the node runtime).
// This re-export keeps callers written before the move compiling; import from the new path.
export { NodeAgent } from '../../node-runtime/cluster/agent.ts';
export type { NodeAgentOptions } from '../../node-runtime/cluster/agent.ts';
