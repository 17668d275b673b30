/**
 * An error about one field of a file a person wrote (genesis, node config): the message leads with the
 * field's path so the fix is obvious, and `field` lets callers and tests tell which one it was.
 */
export class FieldError extends Error {
  static override name = 'FieldError'
  override name = 'FieldError'
  /** The field path the error is about, e.g. `validators[2].consensus_key` (empty for the whole file). */
  readonly field: string

  constructor(field: string, problem: string, options?: ErrorOptions) {
    super(field === '' ? problem : `${field}: ${problem}`, options)
    this.field = field
  }
}
