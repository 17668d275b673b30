import type { Clock } from '../env/clock.js'
import type { PeerNetwork } from '../env/network.js'

/** What happens to the frames this validator sends to one peer (testnet fault injection). */
export interface LinkFault {
  /** Nothing reaches the peer (one direction of a partition). */
  readonly cut: boolean
  /** Every frame is held this long before it is sent. */
  readonly delayMs: number
  /** Each frame is lost with this probability, 0..1. */
  readonly dropRate: number
}

export const linkDelayMsMax = 60_000

export class LinkFaultError extends Error {
  static override name = 'LinkFaultError'
  override name = 'LinkFaultError'
}

/** A fault with no effect is no fault: it is not kept. */
export function isPlainLink(fault: LinkFault): boolean {
  return !fault.cut && fault.delayMs === 0 && fault.dropRate === 0
}

export function checkLinkFault(fault: LinkFault): LinkFault {
  if (!Number.isSafeInteger(fault.delayMs) || fault.delayMs < 0 || fault.delayMs > linkDelayMsMax) {
    throw new LinkFaultError(`delay_ms must be a whole number 0..${linkDelayMsMax}: ${fault.delayMs}`)
  }
  if (!(fault.dropRate >= 0 && fault.dropRate <= 1)) {
    throw new LinkFaultError(`drop_rate must be between 0 and 1: ${fault.dropRate}`)
  }
  return fault
}

/**
 * The faults on this validator's outgoing links, by peer node key (hex). Applied by the sender, so a one-way
 * partition is a cut at one end only. Replaced as a whole: the testnet runner holds the wanted state and sends
 * it again after every change and restart.
 */
export class LinkFaults {
  #byPeer = new Map<string, LinkFault>()
  #dropped = 0

  get active(): boolean {
    return this.#byPeer.size > 0
  }

  /** Frames dropped by a cut or a lossy link since start. */
  get droppedFrames(): number {
    return this.#dropped
  }

  replace(faults: ReadonlyMap<string, LinkFault>): void {
    const next = new Map<string, LinkFault>()
    for (const [peer, fault] of faults) if (!isPlainLink(checkLinkFault(fault))) next.set(peer, fault)
    this.#byPeer = next
  }

  entries(): ReadonlyMap<string, LinkFault> {
    return this.#byPeer
  }

  /** The network as the faults let frames through: cut or lost frames are dropped, delayed ones held. */
  wrap(network: PeerNetwork, clock: Clock, random: () => number): PeerNetwork {
    const send = (peer: string, protocol: Parameters<PeerNetwork['send']>[1], frame: Uint8Array): boolean => {
      const fault = this.#byPeer.get(peer)
      if (fault === undefined) return network.send(peer, protocol, frame)
      if (fault.cut || (fault.dropRate > 0 && random() < fault.dropRate)) {
        this.#dropped++
        // A lost frame on a lossy link looks sent to the sender; a cut link looks like a dead peer.
        return !fault.cut
      }
      if (fault.delayMs === 0) return network.send(peer, protocol, frame)
      clock.setTimer(fault.delayMs, () => network.send(peer, protocol, frame))
      return true
    }
    return {
      connectedPeers: () => network.connectedPeers(),
      send,
      broadcast: (protocol, frame) => {
        if (!this.active) return network.broadcast(protocol, frame)
        for (const peer of network.connectedPeers()) send(peer, protocol, frame)
      },
      penalize: (peer, reason) => network.penalize(peer, reason),
    }
  }
}
