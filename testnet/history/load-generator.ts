// A load of 1-unit transfers that records its history as it goes (history-file.ts): each client owns one funded
// account and sends broadcast_tx_commit requests one at a time, to the usable validators in turn, writing the
// invoke before it sends and the outcome once it knows it. The history is what `quorate check` judges.

import { setTimeout as sleep } from 'node:timers/promises'
import { fromHex, type KeyPair, readKeyFile, toHex } from '../../crypto/index.js'
import { buildTransfer, txHashHex, txToHex } from '../../node/client/transfer.js'
import { rpcCall } from '../../node/rpc/client.js'
import type { TestnetInfo } from '../info.js'
import { type CommitOutcome, outcomeOfAnswer, outcomeOfError } from './commit-outcome.js'
import { HistoryWriter } from './history-file.js'
import { validatorFixture } from './testnet-file.js'

export const historyClientsDefault = 4
export const historyIntervalMsDefault = 100
export const historyCommitTimeoutMsDefault = 10_000
const nonceReadTimeoutMs = 2_000

export interface HistoryLoadOptions {
  readonly info: TestnetInfo
  /** Created anew (an existing file is replaced). */
  readonly historyFile: string
  /** One funded account each (info.accounts[0 … clients − 1]). Default 4. */
  readonly clients?: number
  /** A client's pause between requests. Default 100 ms. */
  readonly intervalMs?: number
  /** Which validators may be sent to (up and honest); default: every one testnet.json gives no fixture. */
  readonly isUsable?: (validatorIndex: number) => boolean
  /** A request unanswered this long is recorded unknown. Default 10 s. */
  readonly commitTimeoutMs?: number
  /** Aborting stops the load and abandons the requests in flight (recorded unknown). */
  readonly signal?: AbortSignal
}

export interface LoadSummary {
  readonly invoked: number
  readonly ok: number
  readonly fail: number
  readonly unknown: number
}

export interface HistoryLoad {
  /** Sends nothing more, waits for the requests in flight, closes the history; rejects if writing it failed. */
  stop(): Promise<LoadSummary>
  readonly summary: LoadSummary
}

export class HistoryLoadError extends Error {
  static override name = 'HistoryLoadError'
  override name = 'HistoryLoadError'
}

interface Client {
  readonly index: number
  readonly keyPair: KeyPair
  readonly address: string
  readonly recipients: readonly string[]
}

export async function startHistoryLoad(options: HistoryLoadOptions): Promise<HistoryLoad> {
  const { info } = options
  const clientCount = options.clients ?? historyClientsDefault
  const intervalMs = options.intervalMs ?? historyIntervalMsDefault
  const commitTimeoutMs = options.commitTimeoutMs ?? historyCommitTimeoutMsDefault
  if (!Number.isSafeInteger(clientCount) || clientCount < 1)
    throw new HistoryLoadError(`clients: expected a whole number ≥ 1, got ${clientCount}`)
  if (clientCount > info.accounts.length) {
    throw new HistoryLoadError(
      `${clientCount} clients need as many funded accounts; the testnet has ${info.accounts.length}`,
    )
  }
  if (info.accounts.length < 2)
    throw new HistoryLoadError('a transfer needs a second funded account to go to')
  const isUsable =
    options.isUsable ??
    ((index: number) =>
      info.validators[index] !== undefined && validatorFixture(info.validators[index]) === null)
  const clients = await Promise.all(
    info.accounts.slice(0, clientCount).map(async (account, index): Promise<Client> => {
      const keyPair = await readKeyFile(account.key_file)
      if (toHex(keyPair.publicKey) !== account.address)
        throw new HistoryLoadError(`${account.key_file} is not the key of account ${account.address}`)
      const recipients = info.accounts.filter((other) => other !== account).map((other) => other.address)
      return { index, keyPair, address: account.address, recipients }
    }),
  )

  const writer = await HistoryWriter.create(options.historyFile)
  const stopping = new AbortController()
  const counts = { invoked: 0, ok: 0, fail: 0, unknown: 0 }
  let nextId = 0
  let nextValidator = 0
  let failure: unknown

  /** The next usable validator in turn, or undefined when none is. */
  const pickValidator = (): number | undefined => {
    const usable = info.validators.map((validator) => validator.index).filter((index) => isUsable(index))
    if (usable.length === 0) return undefined
    return usable[nextValidator++ % usable.length]
  }
  const requestOptions = (timeoutMs: number) => ({
    timeoutMs,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  })

  /** The account's next nonce (pending transactions counted) from a usable validator, trying each once. */
  const readNextNonce = async (address: string): Promise<number | undefined> => {
    const usableCount = info.validators.filter((validator) => isUsable(validator.index)).length
    for (let attempt = 0; attempt < usableCount; attempt++) {
      const node = pickValidator()
      if (node === undefined) return undefined
      try {
        const account = await rpcCall<unknown>(
          info.validators[node]!.rpc,
          'account',
          { address },
          requestOptions(nonceReadTimeoutMs),
        )
        const nextNonce = (account as { next_nonce?: unknown } | null)?.next_nonce
        if (typeof nextNonce === 'number' && Number.isSafeInteger(nextNonce) && nextNonce >= 0)
          return nextNonce
      } catch {
        // Down or unreachable: the next usable validator is asked.
      }
    }
    return undefined
  }

  /** Sends one transfer and records it; the nonce to use next, or undefined to read it again first. */
  const sendOne = async (
    client: Client,
    nonce: number,
    node: number,
    to: string,
  ): Promise<number | undefined> => {
    const tx = buildTransfer({
      chainId: info.chain_id,
      keyPair: client.keyPair,
      to: fromHex(to, 32),
      amount: 1n,
      nonce,
    })
    const id = nextId++
    const hash = txHashHex(tx)
    await writer.append({
      op: 'invoke',
      id,
      client: client.index,
      t_ms: Date.now(),
      tx: hash,
      from: client.address,
      to,
      amount: '1',
      nonce,
      node,
    })
    counts.invoked++
    const outcome: CommitOutcome = await rpcCall<unknown>(
      info.validators[node]!.rpc,
      'broadcast_tx_commit',
      { tx: txToHex(tx) },
      requestOptions(commitTimeoutMs),
    ).then(outcomeOfAnswer, outcomeOfError)
    const t_ms = Date.now()
    if (outcome.op === 'ok') {
      await writer.append({
        op: 'ok',
        id,
        t_ms,
        height: outcome.height,
        ...(outcome.code === 0 ? {} : { code: outcome.code }),
      })
    } else {
      await writer.append({ op: outcome.op, id, t_ms, error: outcome.error })
    }
    counts[outcome.op]++
    // After anything but a clean commit the nonce is read again: an unknown transfer may or may not commit.
    return outcome.op === 'ok' && outcome.code === 0 ? nonce + 1 : undefined
  }

  const runClient = async (client: Client): Promise<void> => {
    let nonce: number | undefined
    for (let sent = 0; !stopping.signal.aborted; ) {
      nonce ??= await readNextNonce(client.address)
      const node = nonce === undefined ? undefined : pickValidator()
      if (nonce !== undefined && node !== undefined && !stopping.signal.aborted) {
        const to = client.recipients[sent++ % client.recipients.length]!
        nonce = await sendOne(client, nonce, node, to)
      }
      await sleep(intervalMs, undefined, { signal: stopping.signal }).catch(() => {})
    }
  }

  const loops = clients.map((client) =>
    runClient(client).catch((error: unknown) => {
      failure ??= error
      stopping.abort()
    }),
  )
  let stopped: Promise<LoadSummary> | undefined
  const stop = (): Promise<LoadSummary> => {
    stopped ??= (async () => {
      stopping.abort()
      await Promise.all(loops)
      options.signal?.removeEventListener('abort', onAbort)
      await writer.close()
      if (failure !== undefined) throw failure
      return { ...counts }
    })()
    return stopped
  }
  // Aborted, the load closes its history by itself; stop() still tells how it ended.
  const onAbort = (): void => {
    stop().catch(() => {})
  }
  if (options.signal?.aborted === true) onAbort()
  else options.signal?.addEventListener('abort', onAbort, { once: true })
  return {
    get summary() {
      return { ...counts }
    },
    stop,
  }
}
