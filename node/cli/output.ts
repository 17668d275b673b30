// The only place the CLI writes to stdout: JSON for scripts, and plain lines for the testnet's live view.
// Diagnostics go to stderr (console.error), so stdout stays parseable.

export function printJson(value: unknown): void {
  // biome-ignore lint/suspicious/noConsole: CLI output
  console.log(JSON.stringify(value, null, 2))
}

/** JSON on one line, for answers a script greps or a shell reads line by line. */
export function printJsonLine(value: unknown): void {
  // biome-ignore lint/suspicious/noConsole: CLI output
  console.log(JSON.stringify(value))
}

export function printLine(text: string): void {
  // biome-ignore lint/suspicious/noConsole: CLI output
  console.log(text)
}
