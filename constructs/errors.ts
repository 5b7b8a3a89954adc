import { FlotillaError } from '../api/errors.ts';

/** Codes of construct failures: bad props of one construct, or objects that do not fit together. */
export type ConstructErrorCode = 'InvalidProps' | 'InvalidFleet';

/** Raised at construction (InvalidProps) or synth (InvalidFleet); the message names props and values. */
export class ConstructError extends FlotillaError<ConstructErrorCode> {}
