import { toHex } from '../../crypto/hex.js'
import { keyPairFromSecret, sign } from '../../crypto/index.js'
import { type Genesis, genesisQC } from '../../ledger/genesis.js'
import type { ConsensusOutbox } from '../consensus-outbox.js'
import type { Clock, Timer } from '../env/clock.js'
import type { PeerNetwork, ProtocolName } from '../env/network.js'
import {
  type OutgoingFilter,
  type OutgoingFilterFactory,
  outgoingFilterTickMs,
  type RawFrame,
} from '../outgoing-filter.js'

/**
 * A malicious fixture for the validator that holds `consensusSecretKey`, on its clock and randomness. Built
 * before the validator, because the p2p host must know whether the fixture reads anything at all.
 */
export function createFixture(
  factory: OutgoingFilterFactory,
  inputs: { genesis: Genesis; consensusSecretKey: Uint8Array; clock: Clock; random: () => number },
): OutgoingFilter {
  const { genesis, consensusSecretKey, clock } = inputs
  const publicKey = toHex(keyPairFromSecret(consensusSecretKey).publicKey)
  return factory({
    selfIndex: genesis.validators.findIndex((v) => toHex(v.consensusKey) === publicKey),
    validatorCount: genesis.validators.length,
    chainId: genesis.chainId,
    sign: (message) => sign(message, consensusSecretKey),
    random: inputs.random,
    nowMs: () => clock.nowMs(),
    genesisHash: genesisQC(genesis).blockHash,
    blockTxCountMax: genesis.params.blockTxCountMax,
  })
}

/**
 * Runs a malicious test fixture around an honest validator (testnet mode and the simulator only): its periodic
 * traffic, its view of every frame that arrives, and its rewriting of the frames the honest code sends on the
 * protocols other than consensus (consensus messages go through the outbox's filter).
 */
export class FixtureHarness {
  readonly #filter: OutgoingFilter
  readonly #nodeKeys: readonly string[]
  readonly #indexByNodeKey: ReadonlyMap<string, number>
  readonly #raw: PeerNetwork
  readonly #clock: Clock
  #tickTimer: Timer | null = null

  constructor(filter: OutgoingFilter, nodeKeys: readonly string[], raw: PeerNetwork, clock: Clock) {
    this.#filter = filter
    this.#nodeKeys = nodeKeys
    this.#indexByNodeKey = new Map(nodeKeys.map((key, index) => [key, index]))
    this.#raw = raw
    this.#clock = clock
  }

  get name(): string {
    return this.#filter.name
  }

  get readsNothing(): boolean {
    return this.#filter.readsNothing === true
  }

  /** The network the honest code uses: non-consensus frames pass the fixture's `outgoingFrame` first. */
  network(): PeerNetwork {
    const rewrite = this.#filter.outgoingFrame?.bind(this.#filter)
    if (rewrite === undefined) return this.#raw
    const sendOne = (peer: string, protocol: ProtocolName, frame: Uint8Array): boolean => {
      const to = this.#indexByNodeKey.get(peer)
      if (protocol === 'consensus' || to === undefined) return this.#raw.send(peer, protocol, frame)
      for (const out of rewrite(protocol, to, frame)) this.send(out)
      return true
    }
    return {
      connectedPeers: () => this.#raw.connectedPeers(),
      send: sendOne,
      broadcast: (protocol, frame) => {
        for (const peer of this.#raw.connectedPeers()) sendOne(peer, protocol, frame)
      },
      penalize: (peer, reason) => this.#raw.penalize(peer, reason),
    }
  }

  /** Starts the fixture's own traffic: every tick, its consensus messages (via `outbox`) and raw frames. */
  start(outbox: ConsensusOutbox): void {
    const { tick, tickFrames } = this.#filter
    if (tick === undefined && tickFrames === undefined) return
    const run = () => {
      const nowMs = this.#clock.nowMs()
      for (const out of tick?.call(this.#filter, nowMs) ?? []) outbox.deliver(out)
      for (const out of tickFrames?.call(this.#filter, nowMs) ?? []) this.send(out)
      this.#tickTimer = this.#clock.setTimer(outgoingFilterTickMs, run)
    }
    this.#tickTimer = this.#clock.setTimer(outgoingFilterTickMs, run)
  }

  /** Whether the honest code gets a frame that arrived (the fixture may answer it itself). */
  incoming(protocol: ProtocolName, peer: string, frame: Uint8Array): boolean {
    const from = this.#indexByNodeKey.get(peer)
    if (this.#filter.incoming === undefined || from === undefined) return true
    const verdict = this.#filter.incoming(protocol, from, frame)
    for (const reply of verdict.replies ?? []) this.send(reply)
    return verdict.pass
  }

  close(): void {
    this.#tickTimer?.cancel()
    this.#tickTimer = null
  }

  /** A fixture's raw frame, sent as it asks (maybe later). */
  send(out: RawFrame): void {
    const peer = this.#nodeKeys[out.to]
    if (peer === undefined) return
    if (out.delayMs === undefined || out.delayMs <= 0) this.#raw.send(peer, out.protocol, out.frame)
    else this.#clock.setTimer(out.delayMs, () => this.#raw.send(peer, out.protocol, out.frame))
  }
}
