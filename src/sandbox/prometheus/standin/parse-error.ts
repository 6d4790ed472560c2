export type PromQLErrorKind = 'parse' | 'unsupported' | 'execution' | 'timeout';

/** A query Prometheus would refuse (parse), one the stand-in cannot answer (unsupported), an evaluation error (execution) or a timeout. */
export class PromQLError extends Error {
  constructor(
    readonly kind: PromQLErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'PromQLError';
  }
}
