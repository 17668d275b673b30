// The chain reads of the JSON-RPC (block_by_hash, blockchain, commit, tx with its proof, genesis, net_info) over a
// real validator on LevelDB that has committed blocks: each answers what the chain holds, in the documented shape,
// and bad input gets -32602 naming the parameter.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fromHex } from '../../crypto/hex.js'
import { verify } from '../../crypto/index.js'
import { formatGenesis, parseGenesis } from '../../ledger/genesis.js'
import { voteSigningBytes } from '../../ledger/hashing.js'
import { RpcErrorCode } from '../../node/rpc/errors.js'
import { genesisChunkBytes } from '../../node/rpc/genesis-methods.js'
import { verifyTxProof } from '../../node/rpc/tx-proof.js'
import { type BlockResult, status } from '../support/rpc-checks.js'
import {
  rpcError,
  type SignedTransfer,
  type SingleValidatorChain,
  startSingleValidator,
} from './single-validator.js'

interface HeaderJson {
  readonly hash: string
  readonly height: number
  readonly tx_root: string
  readonly [field: string]: unknown
}

interface TxResult {
  readonly hash: string
  readonly height: number
  readonly index: number
  readonly code: number
  readonly tx: string
  readonly decoded: Record<string, unknown>
  readonly proof?: { readonly root_hash: string; readonly proof: { readonly aunts: string[] } }
}

let node: SingleValidatorChain
/** Six transfers sent together (so blocks hold several), then 24 one by one (so there are more than 20 blocks). */
let together: SignedTransfer[]

beforeAll(async () => {
  node = await startSingleValidator(11, 3)
  together = [0, 1, 2].flatMap((client) => [node.transfer(client, 0, 5n), node.transfer(client, 1, 7n)])
  await node.commitTransfers(together)
  for (let nonce = 2; nonce < 26; nonce++) {
    await node.call('broadcast_tx_commit', { tx: node.transfer(0, nonce).hex })
  }
}, 120_000)

afterAll(async () => {
  await node?.close()
})

const invalidParams = (message: RegExp | string) => ({
  code: RpcErrorCode.invalidParams,
  message: expect.stringMatching(message),
})

/** The header fields of a `block` answer (everything but the transactions). */
function headerOf(block: BlockResult): Record<string, unknown> {
  const { txs: _txs, ...header } = block
  return header
}

describe('block_by_hash', () => {
  it('answers the block that `block` answers at its height', async () => {
    const byHeight = await node.call<BlockResult>('block', { height: 2 })
    expect(await node.call('block_by_hash', { hash: byHeight.hash })).toEqual(byHeight)
    expect(await node.call('block_by_hash', { hash: `0x${byHeight.hash.toUpperCase()}` })).toEqual(byHeight)
  })

  it('an unknown hash or a malformed one: -32602 naming `hash`', async () => {
    expect(await rpcError(node.call('block_by_hash', { hash: '11'.repeat(32) }))).toEqual(
      invalidParams(/^hash: no committed block has hash 1111/),
    )
    expect(await rpcError(node.call('block_by_hash', { hash: 'abc' }))).toEqual(invalidParams(/^hash: /))
    expect(await rpcError(node.call('block_by_hash', {}))).toEqual(
      invalidParams('hash: expected a hex string'),
    )
  })
})

describe('blockchain', () => {
  it('lists the newest 20 headers, newest first, each as `block` has it with num_txs', async () => {
    const { height } = await status(node.url)
    expect(height).toBeGreaterThan(20)
    const answer = await node.call<{ last_height: number; block_metas: HeaderJson[] }>('blockchain', {})
    expect(answer.last_height).toBeGreaterThanOrEqual(height)
    expect(answer.block_metas.map((meta) => meta.height)).toEqual(
      Array.from({ length: 20 }, (_, i) => answer.last_height - i),
    )
    for (const meta of answer.block_metas.slice(0, 3)) {
      const block = await node.call<BlockResult>('block', { height: meta.height })
      expect(meta).toEqual({ ...headerOf(block), num_txs: block.txs.length })
    }
  })

  it('a range: inclusive, newest first; maxHeight above the head is lowered to it', async () => {
    const answer = await node.call<{ block_metas: HeaderJson[] }>('blockchain', {
      minHeight: 2,
      maxHeight: 4,
    })
    expect(answer.block_metas.map((meta) => meta.height)).toEqual([4, 3, 2])
    const decimal = await node.call<{ block_metas: HeaderJson[] }>('blockchain', {
      minHeight: '2',
      maxHeight: '4',
    })
    expect(decimal.block_metas).toEqual(answer.block_metas)
    const high = await node.call<{ last_height: number; block_metas: HeaderJson[] }>('blockchain', {
      minHeight: 1,
      maxHeight: 1_000_000,
    })
    expect(high.block_metas[0]!.height).toBe(high.last_height)
    expect(high.block_metas).toHaveLength(20)
  })

  it('a range that cannot hold a block, or a bad height: -32602 naming the parameter', async () => {
    expect(await rpcError(node.call('blockchain', { minHeight: 5, maxHeight: 3 }))).toEqual(
      invalidParams('minHeight 5 is greater than maxHeight 3'),
    )
    expect(await rpcError(node.call('blockchain', { minHeight: 1_000_000 }))).toEqual(
      invalidParams(/^minHeight 1000000 is above the latest committed height \d+$/),
    )
    expect(await rpcError(node.call('blockchain', { maxHeight: -1 }))).toEqual(
      invalidParams('maxHeight: expected a non-negative integer'),
    )
  })
})

describe('commit', () => {
  it("answers the header and the QC that certifies it; every signature verifies with the signer's key", async () => {
    const block = await node.call<BlockResult>('block', { height: 3 })
    const answer = await node.call<{
      signed_header: {
        header: Record<string, unknown>
        commit: { view: number; block_hash: string; signers: number[]; signatures: string[] }
      }
    }>('commit', { height: 3 })
    expect(answer.signed_header.header).toEqual(headerOf(block))
    const { commit } = answer.signed_header
    expect(commit.block_hash).toBe(block.hash)
    expect(commit.signers.length).toBeGreaterThan(0)
    const message = voteSigningBytes(node.chain.genesis.chainId, commit.view, fromHex(commit.block_hash))
    commit.signers.forEach((signer, i) => {
      const key = node.chain.genesis.validators[signer]!.consensusKey
      expect(verify(fromHex(commit.signatures[i]!), message, key)).toBe(true)
    })
  })

  it('defaults to the latest height; a height without a block is -32602', async () => {
    const answer = await node.call<{ signed_header: { header: HeaderJson } }>('commit')
    expect(answer.signed_header.header.height).toBeGreaterThanOrEqual(26)
    expect(await rpcError(node.call('commit', { height: 0 }))).toEqual(
      invalidParams('height: no committed block at height 0'),
    )
    expect(await rpcError(node.call('commit', { height: 1e9 }))).toEqual(
      invalidParams('height: no committed block at height 1000000000'),
    )
  })
})

describe('tx', () => {
  it('answers the transaction itself: its bytes as sent and every field decoded', async () => {
    const sent = together[3]!
    const answer = await node.call<TxResult>('tx', { hash: sent.hash })
    expect(answer).toMatchObject({ hash: sent.hash, code: 0, tx: sent.hex })
    expect(answer.decoded).toEqual({
      chain_id: node.chain.genesis.chainId,
      from: Buffer.from(sent.tx.from).toString('hex'),
      nonce: sent.tx.nonce,
      kind: 'transfer',
      to: Buffer.from(sent.tx.body.to).toString('hex'),
      amount: '7',
      signature: Buffer.from(sent.tx.signature).toString('hex'),
    })
    expect(answer.proof).toBeUndefined()
  })

  it("with prove: true, a proof that verifies against the block header's tx_root; tampered, it fails", async () => {
    for (const sent of together) {
      const answer = await node.call<TxResult>('tx', { hash: sent.hash, prove: true })
      const block = await node.call<BlockResult & { tx_root: string }>('block', { height: answer.height })
      expect(block.txs[answer.index]!.hash).toBe(sent.hash)
      const txRoot = fromHex(block.tx_root)
      expect(verifyTxProof(answer.proof, txRoot)).toBe(true)
      const otherTx = together.find((other) => other.hash !== sent.hash)!
      expect(verifyTxProof({ ...answer.proof, data: otherTx.hex }, txRoot)).toBe(false)
    }
    // At least one block holds several transactions, so some proof has a sibling to tamper with.
    const withSiblings = await Promise.all(
      together.map((sent) => node.call<TxResult>('tx', { hash: sent.hash, prove: 'true' })),
    )
    const answer = withSiblings.find((candidate) => (candidate.proof?.proof.aunts.length ?? 0) > 0)
    expect(answer).toBeDefined()
    const block = await node.call<{ tx_root: string }>('block', { height: answer!.height })
    const proof = answer!.proof!
    const aunts = proof.proof.aunts.map((aunt, i) =>
      i === 0 ? `${aunt[0] === '0' ? '1' : '0'}${aunt.slice(1)}` : aunt,
    )
    expect(verifyTxProof({ ...proof, proof: { ...proof.proof, aunts } }, fromHex(block.tx_root))).toBe(false)
  })

  it('bad input: -32602 naming the parameter', async () => {
    expect(await rpcError(node.call('tx', { hash: together[0]!.hash, prove: 'yes' }))).toEqual(
      invalidParams('prove: expected true or false'),
    )
    expect(await rpcError(node.call('tx', { hash: '22'.repeat(32) }))).toEqual(
      invalidParams(`hash: transaction ${'22'.repeat(32)} is not committed`),
    )
    expect(await rpcError(node.call('tx', { hash: '22' }))).toEqual(invalidParams(/^hash: expected 32 bytes/))
  })
})

describe('genesis', () => {
  it('answers the genesis document as genesis.json has it', async () => {
    const answer = await node.call<{ genesis: unknown }>('genesis')
    expect(answer.genesis).toEqual(JSON.parse(formatGenesis(node.chain.genesis)))
    expect(parseGenesis(answer.genesis)).toEqual(node.chain.genesis)
  })

  it('genesis_chunked: the chunks put together are the genesis file; a chunk past the end is -32602', async () => {
    const first = await node.call<{ chunk: number; total: number; data: string }>('genesis_chunked', {
      chunk: 0,
    })
    const text = formatGenesis(node.chain.genesis)
    expect(first.total).toBe(Math.max(1, Math.ceil(Buffer.byteLength(text) / genesisChunkBytes)))
    expect(Buffer.from(first.data, 'hex').toString('utf8')).toBe(text)
    expect(await rpcError(node.call('genesis_chunked', { chunk: first.total }))).toEqual(
      invalidParams(`chunk: expected 0 to ${first.total - 1}, got ${first.total}`),
    )
  })
})

describe('net_info', () => {
  it('lists the connected peers with validator index, name and node id, and counts them', async () => {
    node.connected.splice(0)
    expect(await node.call('net_info')).toEqual({ n_peers: 0, peers: [] })
    const validator = node.chain.genesis.validators[0]!
    const stranger = '33'.repeat(32)
    node.connected.push(stranger, Buffer.from(validator.nodeKey).toString('hex'))
    try {
      expect(await node.call('net_info')).toEqual({
        n_peers: 2,
        peers: [
          {
            validator_index: 0,
            name: validator.name,
            node_id: node.validator.nodeId,
            node_key: Buffer.from(validator.nodeKey).toString('hex'),
          },
          { validator_index: null, name: null, node_id: null, node_key: stranger },
        ],
      })
    } finally {
      node.connected.splice(0)
    }
  })
})
