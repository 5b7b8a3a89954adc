/**
 * The Lua health checks Argo CD runs for our kinds. Each kind's script is its own .lua file; the
 * shared helper (common.lua) is prepended at synth so Argo CD gets one self-contained script per kind.
 */
import { readFileSync } from 'node:fs';
import { GROUP, KIND_NAMES } from '../../api/index.ts';
import type { FlotillaKind } from '../../api/index.ts';

const dir = new URL('./health/', import.meta.url);

/** The full script Argo CD runs for `kind`. */
export function healthScript(kind: FlotillaKind): string {
  return `${readFileSync(new URL('common.lua', dir), 'utf8')}\n${readFileSync(new URL(`${kind}.lua`, dir), 'utf8')}`;
}

/** argocd-cm data entries: `resource.customizations.health.<group>_<Kind>` for every kind. */
export function healthCustomizations(): Record<string, string> {
  return Object.fromEntries(KIND_NAMES.map((k) => [`resource.customizations.health.${GROUP}_${k}`, healthScript(k)]));
}
