import { FlotillaError } from '../../api/errors.ts';

/** Codes of the local fleet (`flotilla up` / `down` / `status`). */
export type FleetErrorCode = 'StepFailed' | 'FleetNotUp' | 'FleetStartFailed';

/** A local fleet failure; StepFailed messages name the step, the cause and the log file. */
export class FleetError extends FlotillaError<FleetErrorCode> {}
