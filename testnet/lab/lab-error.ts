// What the fault lab answers a command it cannot carry out: HTTP 400 / 409, `ctl` exit 2 / 4.

export class LabRequestError extends Error {
  static override name = 'LabRequestError'
  override name = 'LabRequestError'
  /** bad-request: the command is malformed; conflict: the testnet cannot do it in its current state. */
  constructor(
    readonly code: 'bad-request' | 'conflict',
    message: string,
  ) {
    super(message)
  }
}
