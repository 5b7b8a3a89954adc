import { FlotillaError } from '../../api/errors.ts';

/** Every way an event trigger or a chain fails on purpose; the code is the log field and metric label. */
export type TriggerCode =
  | 'InvalidTrigger'
  | 'ChainCycle'
  | 'ChainTooDeep'
  | 'FunctionFailed'
  | 'RemoteInvokeFailed'
  | 'DeliveriesExhausted'
  | 'SourceUnavailable';

export class TriggerError extends FlotillaError<TriggerCode> {}
