// Driving a malicious fixture through every hook it can have, as a validator's node would: the consensus messages
// its honest core sends (`outgoing`), the frames peers send it (`incoming`, with the replies it makes), the frames
// its honest code sends on the other protocols (`outgoingFrame`), and the ticks (`tick`, `tickFrames`). Two runs:
// - `driveAll`: a short run over a real chain (ConsensusFixture's keys, real signatures), whose every output is
//   recorded as wire bytes, for checks of what is sent;
// - `driveLong`: thousands of rounds of ever new, made-up traffic (signatures are random bytes: fixtures never
//   verify), for checks of what is kept.

import { keyPairFromSecret } from '../../crypto/ed25519.js'
import { sign, toHex } from '../../crypto/index.js'
import { encodeConsensusMessage, encodeTx } from '../../ledger/codec/index.js'
import { blockHash, timeoutSigningBytes, txRoot, voteSigningBytes } from '../../ledger/hashing.js'
import type {
  Block,
  ConsensusMessage,
  EvidenceRecord,
  Hash,
  QuorumCertificate,
  Tx,
  Vote,
} from '../../ledger/types.js'
import { buildTransfer } from '../../node/client/transfer.js'
import type { ProtocolName } from '../../node/env/network.js'
import { encodeEvidenceGossip } from '../../node/evidence/evidence-gossip.js'
import { encodeSyncMessage, type SyncMessage } from '../../node/sync/sync-messages.js'
import { readConsensusFrame } from '../../testnet/byzantine/frames.js'
import type { ByzantineBehaviour, RawFrame } from '../../testnet/byzantine/index.js'
import { ConsensusFixture } from '../support/consensus-fixture.js'

// The byzantine validator is index 1 of 4: it leads views 1, 5, 9, … (leader(v) = v mod 4).
export const self = 1
export const others = [0, 2, 3]
export const fx = new ConsensusFixture(0)
export const n = fx.validators.length

/** genesis, then blocks[v] in view v (v = 1..9), each extending the previous with a QC for it. */
export const blocks: Block[] = [fx.genesis]
for (let view = 1; view <= 9; view++) {
  const parent = blocks[view - 1]!
  blocks.push(fx.child(parent, view, view === 1 ? fx.genesisQC : fx.qcFor(parent)))
}
export const hashOf = (block: Block): Hash => blockHash(block.header)
/** QC(v) for blocks[v], as blocks[v + 1] carries it (v = 1..8), and a fresh one for blocks[9]. */
export const qcOf = (view: number): QuorumCertificate =>
  blocks[view + 1]?.header.justify ?? fx.qcFor(blocks[view]!)

export const proposalIn = (view: number): ConsensusMessage => ({
  kind: 'proposal',
  proposal: fx.proposal(blocks[view]!),
})

export function voteBy(voter: number, view: number, hash: Hash): Vote {
  return {
    view,
    blockHash: hash,
    voter,
    signature: sign(voteSigningBytes(fx.chainId, view, hash), fx.secrets[voter]!),
  }
}

export const ownVote = (view: number, hash: Hash): ConsensusMessage => ({
  kind: 'vote',
  vote: voteBy(self, view, hash),
})

export function timeoutBy(sender: number, view: number, highQC: QuorumCertificate): ConsensusMessage {
  const signature = sign(timeoutSigningBytes(fx.chainId, view, highQC.view), fx.secrets[sender]!)
  return { kind: 'timeout', timeout: { view, highQC, sender, signature } }
}

export const ownTimeout = (view: number, highQC: QuorumCertificate): ConsensusMessage =>
  timeoutBy(self, view, highQC)

/** TC(3), signed by 0, 2 and 3: the core relays it to a replica still timing out in view 3. */
export const relayedTC: ConsensusMessage = { kind: 'timeout-certificate', tc: fx.tcFor(3, 2, [0, 2, 3]) }

/** A client account with a real key, and its transfers (well signed, for this chain). */
const clientKeys = keyPairFromSecret(new Uint8Array(32).fill(7))
export const transfer = (nonce: number): Tx =>
  buildTransfer({ chainId: fx.chainId, keyPair: clientKeys, to: clientKeys.publicKey, amount: 1n, nonce })

/** A block in the chain's slot of blocks[view], with transactions (a certified one, with its QC). */
export function blockWithTxs(view: number, txs: readonly Tx[]): { block: Block; qc: QuorumCertificate } {
  const honest = blocks[view]!
  const block = { header: { ...honest.header, txRoot: txRoot(txs) }, txs }
  return { block, qc: fx.qcFor(block) }
}

/** Validator 3 voted twice in view 7: real evidence, as an honest validator would gossip it. */
export const honestEvidence: EvidenceRecord = {
  kind: 'double-vote',
  view: 7,
  first: voteBy(3, 7, hashOf(blocks[7]!)),
  second: voteBy(3, 7, hashOf(blocks[6]!)),
}

/** One thing the fixture sent, as wire bytes, and which hook sent it. */
export interface Sent {
  readonly to: number
  readonly protocol: ProtocolName
  readonly frame: Uint8Array
  readonly delayMs: number
  readonly via: 'outgoing' | 'tick' | 'tickFrames' | 'reply' | 'outgoingFrame'
}

export interface DriveRecord {
  readonly sent: Sent[]
  /** Frames it kept from its honest code (`incoming` said pass: false). */
  readonly swallowed: Array<{
    readonly protocol: ProtocolName
    readonly from: number
    readonly frame: Uint8Array
  }>
}

/** Records what a behaviour sends, hook by hook, as wire bytes. */
export class Recorder {
  readonly record: DriveRecord = { sent: [], swallowed: [] }
  constructor(readonly behaviour: ByzantineBehaviour) {}

  outgoing(message: ConsensusMessage, to: readonly number[] = others): Sent[] {
    return this.#consensus(this.behaviour.outgoing(message, to), 'outgoing')
  }

  tick(nowMs: number): Sent[] {
    return [
      ...this.#consensus(this.behaviour.tick?.(nowMs) ?? [], 'tick'),
      ...this.#frames(this.behaviour.tickFrames?.(nowMs) ?? [], 'tickFrames'),
    ]
  }

  incoming(protocol: ProtocolName, from: number, frame: Uint8Array): { pass: boolean; replies: Sent[] } {
    const verdict = this.behaviour.incoming?.(protocol, from, frame) ?? { pass: true }
    if (!verdict.pass) this.record.swallowed.push({ protocol, from, frame })
    return { pass: verdict.pass, replies: this.#frames(verdict.replies ?? [], 'reply') }
  }

  incomingMessage(from: number, message: ConsensusMessage): void {
    this.incoming('consensus', from, encodeConsensusMessage(message))
  }

  incomingSync(from: number, message: SyncMessage): { pass: boolean; replies: Sent[] } {
    return this.incoming('sync', from, encodeSyncMessage(message))
  }

  /** The honest code's frame on another protocol, through the fixture (unchanged when it has no such hook). */
  outgoingFrame(protocol: Exclude<ProtocolName, 'consensus'>, to: number, frame: Uint8Array): Sent[] {
    const out = this.behaviour.outgoingFrame?.(protocol, to, frame) ?? [{ to, protocol, frame }]
    return this.#frames(out, 'outgoingFrame')
  }

  outgoingSync(to: number, message: SyncMessage): Sent[] {
    return this.outgoingFrame('sync', to, encodeSyncMessage(message))
  }

  #consensus(
    out: ReadonlyArray<{ to: number; message: ConsensusMessage; delayMs?: number }>,
    via: Sent['via'],
  ): Sent[] {
    const sent = out.map((o) => ({
      to: o.to,
      protocol: 'consensus' as const,
      frame: encodeConsensusMessage(o.message),
      delayMs: o.delayMs ?? 0,
      via,
    }))
    this.record.sent.push(...sent)
    return sent
  }

  #frames(out: readonly RawFrame[], via: Sent['via']): Sent[] {
    const sent = out.map((o) => ({
      to: o.to,
      protocol: o.protocol,
      frame: o.frame,
      delayMs: o.delayMs ?? 0,
      via,
    }))
    this.record.sent.push(...sent)
    return sent
  }
}

/**
 * A short run over the real chain: the core's messages step by step (as leader it votes and then proposes, in
 * view 1 the other way round), peers' consensus frames, sync requests, tx and evidence gossip, the honest code's
 * sync replies and gossip, a tick after each step; and for every proposal the fixture sends whose parent is not
 * in the chain, a `get-block` for that parent from its recipient (what an honest receiver does).
 */
export function driveAll(behaviour: ByzantineBehaviour): DriveRecord {
  const recorder = new Recorder(behaviour)
  const known = new Set(blocks.map((block) => toHex(hashOf(block))))
  const steps: ConsensusMessage[][] = [
    [proposalIn(1), ownVote(1, hashOf(blocks[1]!))],
    [ownTimeout(2, fx.genesisQC)],
    [ownVote(5, hashOf(blocks[5]!)), proposalIn(5)],
    [ownTimeout(6, qcOf(5))],
    [relayedTC],
    [ownTimeout(6, qcOf(5))],
    [ownVote(9, hashOf(blocks[9]!)), proposalIn(9)],
  ]
  for (let i = 0; i < 10; i++) steps.push([proposalIn(5)])
  const certified = (from: number, to: number) =>
    Array.from({ length: to - from + 1 }, (_, i) => ({ block: blocks[from + i]!, qc: qcOf(from + i) }))
  steps.forEach((step, i) => {
    const peer = others[i % others.length]!
    const view = 2 + (i % 7)
    const sent: Sent[] = []
    for (const message of step) sent.push(...recorder.outgoing(message))
    // Peers' consensus traffic: a proposal by view's leader (when it is not us), a vote and a timeout.
    if (view % n !== self) recorder.incomingMessage(view % n, proposalIn(view))
    recorder.incomingMessage(peer, { kind: 'vote', vote: voteBy(peer, view, hashOf(blocks[view]!)) })
    recorder.incomingMessage(peer, timeoutBy(peer, view + 1, qcOf(view)))
    // Sync requests from peers, and our honest server's replies.
    sent.push(...recorder.incomingSync(2, { kind: 'get-head' }).replies)
    sent.push(...recorder.incomingSync(0, { kind: 'get-blocks', fromHeight: 1, count: 8 }).replies)
    sent.push(...recorder.incomingSync(3, { kind: 'get-block', hash: new Uint8Array(32).fill(i) }).replies)
    recorder.outgoingSync(2, { kind: 'head', header: blocks[8]!.header, qc: qcOf(8) })
    recorder.outgoingSync(0, { kind: 'blocks', fromHeight: 1, blocks: certified(1, 8) })
    recorder.outgoingSync(3, { kind: 'block', block: blocks[5]! })
    recorder.outgoingSync(3, { kind: 'block', block: blockWithTxs(6, [transfer(0), transfer(1)]).block })
    // Gossip both ways.
    recorder.incoming('tx', peer, encodeTx(transfer(i)))
    recorder.incoming('evidence', 2, encodeEvidenceGossip(honestEvidence))
    for (const to of others) recorder.outgoingFrame('tx', to, encodeTx(transfer(100 + i)))
    for (const to of others) recorder.outgoingFrame('evidence', to, encodeEvidenceGossip(honestEvidence))
    sent.push(...recorder.tick(i * 100))
    // Honest receivers fetch the unknown parent of any proposal we sent.
    for (const each of sent) fetchUnknownParent(recorder, known, each)
  })
  return recorder.record
}

function fetchUnknownParent(recorder: Recorder, known: ReadonlySet<string>, sent: Sent): void {
  if (sent.protocol !== 'consensus') return
  const message = readConsensusFrame(sent.frame)
  if (message?.kind !== 'proposal') return
  const parent = message.proposal.block.header.parentHash
  if (!known.has(toHex(parent))) recorder.incomingSync(sent.to, { kind: 'get-block', hash: parent })
}

/** The run, as one string per frame sent: hook, recipient, protocol, delay and the bytes. */
export function transcript(record: DriveRecord): string[] {
  return record.sent.map((s) => `${s.via}:${s.to}:${s.protocol}:${s.delayMs}:${toHex(s.frame)}`)
}

/**
 * `rounds` rounds of ever new traffic, one view each, made up (hashes and signatures are distinct byte patterns,
 * not real ones): the core's vote (and timeout every third round, proposal in views we lead), peers' proposals
 * with transactions, votes and timeouts, sync requests and replies, tx and evidence gossip both ways; a tick
 * every `tickEveryRounds`. Nothing of a round is kept by the driver, so whatever survives is the fixture's.
 */
export function driveLong(
  behaviour: ByzantineBehaviour,
  fromRound: number,
  rounds: number,
  tickEveryRounds = 5,
): void {
  let counter = fromRound * 1_000
  // Distinct bytes, cheaply: a running counter in the first eight bytes.
  const bytes = (length: number) => {
    const result = new Uint8Array(length)
    new DataView(result.buffer).setFloat64(0, counter++)
    return result
  }
  const qc = (view: number): QuorumCertificate => ({
    view,
    blockHash: bytes(32),
    signers: [0, 1, 2],
    signatures: [bytes(64), bytes(64), bytes(64)],
  })
  const tx = (nonce: number): Tx => ({
    chainId: fx.chainId,
    from: bytes(32),
    nonce,
    body: { kind: 'transfer', to: bytes(32), amount: 1n },
    signature: bytes(64),
  })
  const block = (view: number, txCount: number): Block => {
    const txs = Array.from({ length: txCount }, (_, i) => tx(i))
    return {
      header: {
        height: view,
        view,
        parentHash: bytes(32),
        justify: qc(view - 1),
        proposer: view % n,
        timestampMs: view * 100,
        txRoot: txRoot(txs),
        stateRoot: bytes(32),
      },
      txs,
    }
  }
  const proposal = (view: number): ConsensusMessage => ({
    kind: 'proposal',
    proposal: { block: block(view, 4), lastViewTC: null, signature: bytes(64) },
  })
  for (let round = fromRound; round < fromRound + rounds; round++) {
    const view = round + 2
    const peer = others[round % others.length]!
    behaviour.outgoing(
      { kind: 'vote', vote: { view, blockHash: bytes(32), voter: self, signature: bytes(64) } },
      others,
    )
    if (round % 3 === 0)
      behaviour.outgoing(
        { kind: 'timeout', timeout: { view, highQC: qc(view - 1), sender: self, signature: bytes(64) } },
        others,
      )
    if (view % n === self) behaviour.outgoing(proposal(view), others)
    const incoming = (protocol: ProtocolName, from: number, frame: Uint8Array) =>
      behaviour.incoming?.(protocol, from, frame)
    if (view % n !== self) incoming('consensus', view % n, encodeConsensusMessage(proposal(view)))
    incoming(
      'consensus',
      peer,
      encodeConsensusMessage({
        kind: 'vote',
        vote: { view, blockHash: bytes(32), voter: peer, signature: bytes(64) },
      }),
    )
    incoming(
      'consensus',
      peer,
      encodeConsensusMessage({
        kind: 'timeout',
        timeout: { view, highQC: qc(view - 1), sender: peer, signature: bytes(64) },
      }),
    )
    incoming('sync', peer, encodeSyncMessage({ kind: 'get-block', hash: bytes(32) }))
    incoming('sync', peer, encodeSyncMessage({ kind: 'get-head' }))
    incoming('tx', peer, encodeTx(tx(round)))
    const first: Vote = { view, blockHash: bytes(32), voter: peer, signature: bytes(64) }
    const second: Vote = { ...first, blockHash: bytes(32) }
    incoming('evidence', peer, encodeEvidenceGossip({ kind: 'double-vote', view, first, second }))
    const outgoingFrame = (protocol: Exclude<ProtocolName, 'consensus'>, frame: Uint8Array) =>
      behaviour.outgoingFrame?.(protocol, peer, frame)
    outgoingFrame('sync', encodeSyncMessage({ kind: 'head', header: block(view, 0).header, qc: qc(view) }))
    outgoingFrame(
      'sync',
      encodeSyncMessage({
        kind: 'blocks',
        fromHeight: view,
        blocks: [{ block: block(view, 1), qc: qc(view) }],
      }),
    )
    outgoingFrame('tx', encodeTx(tx(round)))
    if (round % tickEveryRounds === 0) {
      behaviour.tick?.(round * 20)
      behaviour.tickFrames?.(round * 20)
    }
  }
}
