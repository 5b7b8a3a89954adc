/**
 * The node's trigger sources, keyed by kind. Every kind the api/ table serves by a source has an
 * entry here: a kind without one is a type error, so a new kind cannot be half wired.
 */
import { TRIGGER_KINDS, type SourceTriggerType, type TriggerType } from '../../api/index.ts';
import { cronSource } from './cron-trigger.ts';
import type { RunningTrigger, SourceHost, TriggerDef, TriggerSource } from './definition.ts';
import { TriggerError } from './errors.ts';
import { mqttSource } from './mqtt-trigger.ts';
import { natsSource } from './nats-trigger.ts';

const SOURCES: { readonly [T in SourceTriggerType]: (host: SourceHost) => TriggerSource<T> } = {
  cron: cronSource,
  nats: natsSource,
  mqtt: mqttSource,
};

/** One created source per kind. */
export type TriggerSources = { readonly [T in SourceTriggerType]: TriggerSource<T> };

/** Whether a node runs this kind as a trigger source (http is served through routes instead). */
export function runsAsSource(type: TriggerType): type is SourceTriggerType {
  return TRIGGER_KINDS[type].servedBy === 'source';
}

/** Creates every source, once per runtime. */
export function createSources(host: SourceHost): TriggerSources {
  return Object.fromEntries(Object.entries(SOURCES).map(([type, create]) => [type, create(host)])) as TriggerSources;
}

/** Starts a trigger on its kind's source, handing it the trigger's section. */
export async function startTrigger(sources: TriggerSources, def: TriggerDef): Promise<RunningTrigger> {
  const type = def.spec.type;
  if (!runsAsSource(type)) throw new TriggerError('InvalidTrigger', `trigger ${def.key}: ${type} triggers are served by routes, not here`);
  const section = def.spec[type];
  if (!section) throw new TriggerError('InvalidTrigger', `trigger ${def.key}: expected spec.${type} for type ${type}, got none`);
  // The section belongs to the source of the same kind: `type` picks both.
  return (sources[type] as TriggerSource<SourceTriggerType>).start(def, section);
}

/** Releases what the sources share, once their triggers stopped. */
export async function closeSources(sources: TriggerSources): Promise<void> {
  await Promise.all(Object.values<TriggerSource<SourceTriggerType>>(sources).map((s) => s.close?.() ?? Promise.resolve()));
}
