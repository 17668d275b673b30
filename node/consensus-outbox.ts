import { toHex } from '../crypto/hex.js'
import { encodeConsensusMessage } from '../ledger/codec/index.js'
import type { ConsensusMessage, PublicKey } from '../ledger/types.js'
import { type FilteredMessage, type OutgoingFilter, outgoingFilterTickMs } from './outgoing-filter.js'

/**
 * Where the core's consensus messages leave the process: encoded once, sent to validators by index. A testnet
 * malicious fixture, when installed, rewrites them first.
 */
export class ConsensusOutbox {
  readonly #nodeKeys: readonly string[]
  #tickTimer: NodeJS.Timeout | null = null

  constructor(
    nodeKeys: readonly PublicKey[],
    private readonly selfIndex: number,
    private readonly sendFrame: (nodeKeyHex: string, frame: Uint8Array) => void,
    private readonly filter: OutgoingFilter | null,
  ) {
    this.#nodeKeys = nodeKeys.map(toHex)
    const tick = filter?.tick
    if (tick !== undefined) {
      this.#tickTimer = setInterval(() => {
        for (const out of tick.call(filter, Date.now())) this.#deliver(out)
      }, outgoingFilterTickMs)
    }
  }

  send(to: readonly number[], message: ConsensusMessage): void {
    if (this.filter === null) {
      const frame = encodeConsensusMessage(message)
      for (const index of to) this.#sendTo(index, frame)
      return
    }
    for (const out of this.filter.outgoing(message, to)) this.#deliver(out)
  }

  broadcast(message: ConsensusMessage): void {
    this.send(
      this.#nodeKeys.map((_, index) => index).filter((index) => index !== this.selfIndex),
      message,
    )
  }

  close(): void {
    if (this.#tickTimer !== null) clearInterval(this.#tickTimer)
  }

  #deliver(out: FilteredMessage): void {
    let frame: Uint8Array
    try {
      frame = encodeConsensusMessage(out.message)
    } catch {
      return // a fixture built something the codec refuses; a real peer could not send it either
    }
    if (out.delayMs === undefined || out.delayMs <= 0) this.#sendTo(out.to, frame)
    else setTimeout(() => this.#sendTo(out.to, frame), out.delayMs).unref()
  }

  #sendTo(index: number, frame: Uint8Array): void {
    const nodeKeyHex = this.#nodeKeys[index]
    if (nodeKeyHex !== undefined && index !== this.selfIndex) this.sendFrame(nodeKeyHex, frame)
  }
}
