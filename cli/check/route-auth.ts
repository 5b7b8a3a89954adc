/** `flotilla check`: FunctionRoutes whose authentication cluster-mode nodes cannot enforce (api/route-auth.ts); such a route would answer 503 only. */
import { clusterAuthGap } from '../../api/index.ts';
import type { CheckProblem } from './problem.ts';
import type { ParsedDoc } from './schema.ts';

/** One problem per route whose auth nodes cannot enforce. */
export function routeAuthProblems(docs: readonly ParsedDoc[]): CheckProblem[] {
  const problems: CheckProblem[] = [];
  for (const d of docs) {
    if (d.flotilla?.kind !== 'FunctionRoute') continue;
    const gap = clusterAuthGap(d.flotilla.spec.auth);
    if (gap) problems.push({ file: d.file, object: d.object, field: gap.field, message: gap.message });
  }
  return problems;
}
