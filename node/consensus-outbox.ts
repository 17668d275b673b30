import { toHex } from '../crypto/hex.js'
import { encodeConsensusMessage } from '../ledger/codec/index.js'
import type { ConsensusMessage, PublicKey } from '../ledger/types.js'
import type { Clock } from './env/clock.js'
import type { PeerNetwork } from './env/network.js'
import type { FilteredMessage, OutgoingFilter } from './outgoing-filter.js'

/**
 * Where the core's consensus messages leave the process: encoded once, sent to validators by index. A testnet
 * malicious fixture, when installed, rewrites them first.
 */
export class ConsensusOutbox {
  readonly #nodeKeys: readonly string[]

  constructor(
    nodeKeys: readonly PublicKey[],
    private readonly selfIndex: number,
    private readonly network: PeerNetwork,
    private readonly clock: Clock,
    private readonly filter: OutgoingFilter | null,
  ) {
    this.#nodeKeys = nodeKeys.map(toHex)
  }

  send(to: readonly number[], message: ConsensusMessage): void {
    if (this.filter === null) {
      const frame = encodeConsensusMessage(message)
      for (const index of to) this.#sendTo(index, frame)
      return
    }
    for (const out of this.filter.outgoing(message, to)) this.deliver(out)
  }

  broadcast(message: ConsensusMessage): void {
    this.send(
      this.#nodeKeys.map((_, index) => index).filter((index) => index !== this.selfIndex),
      message,
    )
  }

  /** A fixture's message, sent as it asks (to one validator, maybe later). */
  deliver(out: FilteredMessage): void {
    let frame: Uint8Array
    try {
      frame = encodeConsensusMessage(out.message)
    } catch {
      return // a fixture built something the codec refuses; a real peer could not send it either
    }
    if (out.delayMs === undefined || out.delayMs <= 0) this.#sendTo(out.to, frame)
    else this.clock.setTimer(out.delayMs, () => this.#sendTo(out.to, frame))
  }

  #sendTo(index: number, frame: Uint8Array): void {
    const nodeKeyHex = this.#nodeKeys[index]
    if (nodeKeyHex !== undefined && index !== this.selfIndex)
      this.network.send(nodeKeyHex, 'consensus', frame)
  }
}
