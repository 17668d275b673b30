// A replica a few blocks behind fetches the missing chain newest first, each block naming its parent. Every
// fetched block whose parent is still missing is kept (bounded), so the whole chain joins the tree once the
// lowest block arrives; before, all but the lowest were dropped and the replica gained one block per later
// proposal, lagging for good behind a fast chain.

import { describe, expect, it } from 'vitest'
import { toHex } from '../../crypto/hex.js'
import { blockHash } from '../../ledger/hashing.js'
import { orphanBlockCountMax } from '../../ledger/limits.js'
import type { Block } from '../../ledger/types.js'
import { ConsensusFixture } from '../support/consensus-fixture.js'
import { fetchesIn, receivedAtMs } from './peer-messages.js'

/** A chain of `length` blocks in consecutive views above genesis, each certified by the next one's justify. */
function chainOf(fx: ConsensusFixture, length: number): Block[] {
  const blocks: Block[] = []
  let parent = fx.genesis
  let justify = fx.genesisQC
  for (let view = 1; view <= length; view++) {
    const block = fx.child(parent, view, justify)
    blocks.push(block)
    justify = fx.qcFor(block)
    parent = block
  }
  return blocks
}

const fetched = (block: Block) => ({ kind: 'block-fetched', block, nowMs: receivedAtMs }) as const

describe('fetched blocks whose parent is missing', () => {
  it('a chain fetched newest first joins the tree as soon as its lowest block arrives', () => {
    const fx = new ConsensusFixture(3)
    fx.input({ kind: 'start', nowMs: 0 })
    const chain = chainOf(fx, 8)
    // Newest first, as a replica walks back parent by parent; each asks for the one below.
    for (const block of chain.slice(1).reverse()) {
      const actions = fx.input(fetched(block))
      expect(fetchesIn(actions)).toEqual([toHex(block.header.parentHash)])
    }
    expect(fx.state.tree.size).toBe(1)
    fx.input(fetched(chain[0]!))
    // All eight joined: the QC of block 7 (in block 8) completes the 3-chain 5-6-7, which commits up to 5.
    for (const block of chain.slice(-2)) expect(fx.state.tree.has(toHex(blockHash(block.header)))).toBe(true)
    expect(fx.state.committingHeight).toBe(5)
    expect(fx.state.orphanBlocks.size).toBe(0)
  })

  it('keeps at most orphanBlockCountMax of them, dropping the ones farthest from the tree', () => {
    const fx = new ConsensusFixture(3)
    fx.input({ kind: 'start', nowMs: 0 })
    const chain = chainOf(fx, orphanBlockCountMax + 10)
    for (const block of chain.slice(1).reverse()) fx.input(fetched(block))
    expect(fx.state.orphanBlocks.size).toBe(orphanBlockCountMax)
    const heights = [...fx.state.orphanBlocks.values()].map((orphan) => orphan.block.header.height)
    expect(Math.max(...heights)).toBe(orphanBlockCountMax + 1)
    fx.input(fetched(chain[0]!))
    expect(fx.state.orphanBlocks.size).toBe(0)
    expect(fx.state.committingHeight).toBe(orphanBlockCountMax - 2)
  })
})
