// One closed-loop client: sign a transfer from its own funded account, send it with broadcast_tx_commit,
// wait for the answer, repeat until the level's window closes. A transaction whose fate is unknown (time-out,
// lost connection, "not committed in time") is sent again byte for byte: Ed25519 signatures are
// deterministic, so the node answers "already pending" or "already committed" for it instead of taking a
// second transfer, and the nonce never skips or repeats.

import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import type { KeyPair } from '../../../crypto/index.js'
import { buildTransfer, txToHex } from '../../../node/client/transfer.js'
import { AdmissionCode } from '../../../node/mempool/admission.js'
import { callRpc, type RpcEndpoint, type RpcOutcome } from './keep-alive-rpc.js'
import type { LevelTally } from './level-tally.js'
import type { RatePacer } from './rate-pacer.js'

export interface ClientAccount {
  readonly keys: KeyPair
  readonly address: string
  /** The recipient of every transfer this client sends. */
  readonly to: Uint8Array
  /** Unknown until read from a validator (`account`.next_nonce), and again after a rejected nonce. */
  nextNonce: number | undefined
  /** The signed transfer not yet known to be committed, as hex. */
  pendingTxHex: string | undefined
}

export interface ClientContext {
  readonly chainId: string
  readonly endpoint: RpcEndpoint
  readonly tally: LevelTally
  /** performance.now() after which no new request is sent. */
  readonly stopAtMs: number
  readonly requestTimeoutMs: number
  /** A rate-limited level's slots, shared by its clients; absent: send as soon as the last one is answered. */
  readonly pacer?: RatePacer
}

/** After a failed request, so a refusing node does not turn the client into a hot loop. */
const errorBackoffMs = 20

type Verdict =
  | { readonly kind: 'committed' }
  | { readonly kind: 'failed'; readonly label: string; readonly next: 'resend' | 'read-nonce' }

export async function runClient(context: ClientContext, account: ClientAccount): Promise<void> {
  while (performance.now() < context.stopAtMs) {
    if (account.nextNonce === undefined) {
      await readNonce(context, account)
      if (account.nextNonce === undefined) {
        await sleep(errorBackoffMs)
        continue
      }
    }
    account.pendingTxHex ??= txToHex(
      buildTransfer({
        chainId: context.chainId,
        keyPair: account.keys,
        to: account.to,
        amount: 1n,
        nonce: account.nextNonce,
      }),
    )
    // Paced: the latency counts from the slot's due time, so time spent behind schedule is not hidden.
    const sentMs = context.pacer === undefined ? performance.now() : await context.pacer.next()
    if (context.pacer !== undefined && performance.now() >= context.stopAtMs) break
    const outcome = await callRpc(
      context.endpoint,
      'broadcast_tx_commit',
      { tx: account.pendingTxHex },
      context.requestTimeoutMs,
    )
    const doneMs = performance.now()
    const verdict = judge(outcome)
    if (verdict.kind === 'committed') {
      context.tally.committed(sentMs, doneMs)
      account.nextNonce++
      account.pendingTxHex = undefined
      continue
    }
    context.tally.failed(verdict.label, doneMs)
    if (verdict.next === 'read-nonce') {
      account.nextNonce = undefined
      account.pendingTxHex = undefined
    }
    await sleep(errorBackoffMs)
  }
}

async function readNonce(context: ClientContext, account: ClientAccount): Promise<void> {
  const outcome = await callRpc(
    context.endpoint,
    'account',
    { address: account.address },
    context.requestTimeoutMs,
  )
  if (outcome.kind !== 'result') return
  const nextNonce = (outcome.result as { next_nonce?: unknown } | null)?.next_nonce
  if (typeof nextNonce === 'number' && Number.isSafeInteger(nextNonce)) account.nextNonce = nextNonce
}

function judge(outcome: RpcOutcome): Verdict {
  switch (outcome.kind) {
    case 'result': {
      const result = (outcome.result ?? {}) as { code?: unknown; height?: unknown }
      const code = typeof result.code === 'number' ? result.code : -1
      if (typeof result.height === 'number') {
        // Committed, but execution refused it (bad nonce, funds): the nonce was not consumed.
        return code === 0
          ? { kind: 'committed' }
          : { kind: 'failed', label: `receipt_${code}`, next: 'read-nonce' }
      }
      // Not admitted. A full mempool is back-pressure: the same transfer goes again.
      if (code === AdmissionCode.mempoolFull) return { kind: 'failed', label: 'mempool_full', next: 'resend' }
      return { kind: 'failed', label: `admission_${code}`, next: 'read-nonce' }
    }
    case 'rpc-error':
      return { kind: 'failed', label: `rpc_${outcome.code}`, next: 'resend' }
    case 'http':
      return { kind: 'failed', label: `http_${outcome.status}`, next: 'resend' }
    case 'timeout':
      return { kind: 'failed', label: 'timeout', next: 'resend' }
    case 'transport':
      return { kind: 'failed', label: `transport_${outcome.code}`, next: 'resend' }
  }
}
