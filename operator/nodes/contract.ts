// Moved to api/node-contract.ts (node-runtime/ needs it and may not import operator/).
// This re-export keeps callers written before the move compiling; import from api/.
export { ANNOTATIONS, ASSIGNMENT_KEY, NODE_LABEL, RUNTIME_LABEL, nodeObjectName } from '../../api/index.ts';
export type { AssignedFunction, AssignedRoute, AssignedTrigger, FunctionReport, NodeAssignment, NodeCapacity, NodeReport } from '../../api/index.ts';
