// The history checker on chains built in memory: a clean history passes, and each planted fault (a lost, a
// duplicated, a rejected-but-committed transaction, disagreement, broken conservation, late liveness) fails the
// check meant to catch it, naming the culprit. Random worlds come from fast-check, which prints the seed that
// reproduces a failure.

import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ChainBlock, ChainTx, ValidatorChain } from '../../testnet/history/chain-view.js'
import { type CheckName, checkHistory, type Verdict } from '../../testnet/history/checker.js'
import type { LedgerSnapshot } from '../../testnet/history/conservation.js'
import {
  HistoryFormatError,
  HistoryWriter,
  parseHistoryText,
  readHistoryFile,
} from '../../testnet/history/history-file.js'
import type { HistoryRecord, InvokeRecord, OkRecord } from '../../testnet/history/records.js'
import { reportJson, reportText } from '../../testnet/history/report.js'
import { Prng } from '../sim/prng.js'

interface World {
  records: HistoryRecord[]
  chains: ValidatorChain[]
  ledger: LedgerSnapshot
}

const startMs = 1_765_000_000_000

function hex(prng: Prng): string {
  let text = ''
  for (let i = 0; i < 8; i++) text += prng.int(0, 0xffffffff).toString(16).padStart(8, '0')
  return text
}

/**
 * A consistent world: clients send transfers among 4 accounts; each acknowledged one (and some unknown ones)
 * sits in exactly one block at the height its `ok` names; others' transactions are mixed in; 4 validators hold
 * the same chain; the balances are the genesis balances with every committed transfer applied.
 */
function buildWorld(seed: number): World {
  const prng = new Prng(seed)
  const accounts = Array.from({ length: 4 }, () => hex(prng))
  const genesisBalances = new Map(accounts.map((address) => [address, 1_000n]))
  const balances = new Map(genesisBalances)
  const blocks: { height: number; hash: string; stateRoot: string; txs: ChainTx[] }[] = []
  const records: HistoryRecord[] = []
  const waiting: HistoryRecord[] = []
  let tMs = startMs
  const commit = (tx: ChainTx): number => {
    if (blocks.length === 0 || prng.chance(0.5))
      blocks.push({ height: blocks.length + 1, hash: hex(prng), stateRoot: hex(prng), txs: [] })
    const block = blocks[blocks.length - 1]!
    block.txs.push(tx)
    balances.set(tx.from, balances.get(tx.from)! - tx.amount)
    balances.set(tx.to, (balances.get(tx.to) ?? 0n) + tx.amount)
    return block.height
  }
  const count = prng.int(5, 40)
  for (let id = 0; id < count; id++) {
    const from = accounts[prng.int(0, 3)]!
    const to = prng.chance(0.1) ? hex(prng) : accounts.filter((address) => address !== from)[prng.int(0, 2)]!
    const tx = hex(prng)
    tMs += prng.int(1, 50)
    records.push({
      op: 'invoke',
      id,
      client: prng.int(0, 3),
      t_ms: tMs,
      tx,
      from,
      to,
      amount: '1',
      nonce: id,
      node: 0,
    })
    const roll = id === 0 ? 0 : prng.next()
    const later = () => (tMs += prng.int(1, 50))
    if (roll < 0.6) {
      const height = commit({ hash: tx, from, to, amount: 1n })
      waiting.push({ op: 'ok', id, t_ms: later(), height })
    } else if (roll < 0.75) {
      waiting.push({ op: 'fail', id, t_ms: later(), error: 'admission code 15: bad nonce' })
    } else if (roll < 0.95 || id < count - 1) {
      if (prng.chance(0.5)) commit({ hash: tx, from, to, amount: 1n })
      waiting.push({ op: 'unknown', id, t_ms: later(), error: 'no answer within 10000 ms' })
    }
    // The last request may have no outcome at all: the history ended first.
    if (prng.chance(0.1)) commit({ hash: hex(prng), from: accounts[0]!, to: accounts[1]!, amount: 5n })
    while (waiting.length > 0 && prng.chance(0.6)) records.push(waiting.shift()!)
  }
  records.push(...waiting)
  // An address nothing was committed to has balance 0, as `account` answers.
  for (const record of records)
    if (record.op === 'invoke' && !balances.has(record.to)) balances.set(record.to, 0n)
  const chains = [0, 1, 2, 3].map((validator) => ({ validator, blocks: structuredClone(blocks) }))
  const ledger: LedgerSnapshot = {
    kind: 'quiet',
    height: blocks.length,
    validator: 0,
    genesisBalances,
    balances,
  }
  return { records, chains, ledger }
}

function check(world: World, extra: { lastHealMs?: number; livenessBoundMs?: number } = {}): Verdict {
  return checkHistory({ history: world.records, chains: world.chains, ledger: world.ledger, ...extra })
}

function result(verdict: Verdict, name: CheckName) {
  const found = verdict.checks.find((check) => check.name === name)
  if (found === undefined) throw new Error(`no check ${name}`)
  return found
}

function oks(world: World): { invoke: InvokeRecord; ok: OkRecord }[] {
  const invokes = new Map<number, InvokeRecord>()
  const found: { invoke: InvokeRecord; ok: OkRecord }[] = []
  for (const record of world.records) {
    if (record.op === 'invoke') invokes.set(record.id, record)
    if (record.op === 'ok') found.push({ invoke: invokes.get(record.id)!, ok: record })
  }
  return found
}

/** Changes every validator's chain the same way (what the chain holds, not who disagrees). */
function editAllChains(world: World, edit: (blocks: ChainBlock[]) => ChainBlock[]): void {
  world.chains = world.chains.map((chain) => ({
    validator: chain.validator,
    blocks: edit([...chain.blocks]),
  }))
}

function withoutTx(blocks: ChainBlock[], hash: string): ChainBlock[] {
  return blocks.map((block) => ({ ...block, txs: block.txs.filter((tx) => tx.hash !== hash) }))
}

function withTxAt(blocks: ChainBlock[], height: number, tx: ChainTx): ChainBlock[] {
  return blocks.map((block) => (block.height === height ? { ...block, txs: [...block.txs, tx] } : block))
}

/** Appends one request for `tx` (after the world's last record) with the outcome `outcome`; returns its ends. */
function plantRequest(
  world: World,
  id: number,
  tx: string,
  outcome: { op: 'fail' | 'unknown'; error: string },
): { from: string; to: string } {
  const tMs = world.records.at(-1)!.t_ms + 1
  const [from, to] = [...world.ledger.genesisBalances.keys()] as [string, string]
  world.records.push(
    { op: 'invoke', id, client: 0, t_ms: tMs, tx, from, to, amount: '1', nonce: 9, node: 1 },
    { ...outcome, id, t_ms: tMs + 5 },
  )
  return { from, to }
}

const seeds = fc.integer({ min: 0, max: 2 ** 31 - 1 })

describe('checkHistory on a consistent world', () => {
  it('passes every check', () => {
    fc.assert(
      fc.property(seeds, (seed) => {
        const verdict = check(buildWorld(seed))
        expect(verdict.checks.filter((entry) => !entry.ok)).toEqual([])
        expect(verdict.ok).toBe(true)
        expect(verdict.figures.invoked).toBe(
          verdict.figures.ok + verdict.figures.fail + verdict.figures.unknown,
        )
        expect(verdict.figures.committed_once).toBeGreaterThan(0)
      }),
    )
  })

  it('accepts one transaction sent twice (an unknown or a fail, then the same bytes acknowledged)', () => {
    const world = buildWorld(7)
    const [first] = oks(world)
    const tMs = world.records.at(-1)!.t_ms + 1
    world.records.push(
      { ...first!.invoke, id: 1_000, t_ms: tMs },
      { op: 'unknown', id: 1_000, t_ms: tMs + 1, error: 'reset' },
      { ...first!.invoke, id: 1_001, t_ms: tMs + 2 },
      { op: 'fail', id: 1_001, t_ms: tMs + 3, error: 'admission code 16: mempool full' },
    )
    expect(check(world).ok).toBe(true)
  })
})

describe('checkHistory catches a planted fault', () => {
  it('an acknowledged transaction in no block fails acknowledged-committed-once, named by id and hash', () => {
    fc.assert(
      fc.property(seeds, fc.nat(), (seed, pick) => {
        const world = buildWorld(seed)
        const acknowledged = oks(world)
        const { invoke } = acknowledged[pick % acknowledged.length]!
        editAllChains(world, (blocks) => withoutTx(blocks, invoke.tx))
        const verdict = check(world)
        const once = result(verdict, 'acknowledged-committed-once')
        expect(verdict.ok).toBe(false)
        expect(once.ok).toBe(false)
        expect(once.detail).toMatch(/^1 lost: /)
        expect(once.detail).toContain(`id ${invoke.id} (tx ${invoke.tx})`)
      }),
    )
  })

  it('an acknowledged transaction in two blocks fails acknowledged-committed-once as duplicated', () => {
    fc.assert(
      fc.property(seeds, fc.nat(), (seed, pick) => {
        const world = buildWorld(seed)
        const acknowledged = oks(world)
        const { invoke, ok } = acknowledged[pick % acknowledged.length]!
        const copy = { hash: invoke.tx, from: invoke.from, to: invoke.to, amount: 1n }
        editAllChains(world, (blocks) => {
          const height = blocks.length + 1
          return [...blocks, { height, hash: `${'e'.repeat(63)}1`, stateRoot: 'f'.repeat(64), txs: [copy] }]
        })
        const once = result(check(world), 'acknowledged-committed-once')
        expect(once.ok).toBe(false)
        expect(once.detail).toContain(
          `1 duplicated: id ${invoke.id} (tx ${invoke.tx}) at heights ${ok.height}, `,
        )
      }),
    )
  })

  it('a rejected transaction that is committed fails rejected-absent', () => {
    const world = buildWorld(11)
    const tx = 'a'.repeat(64)
    const { from, to } = plantRequest(world, 500, tx, { op: 'fail', error: 'admission code 15: bad nonce' })
    expect(check(world).ok).toBe(true)
    editAllChains(world, (blocks) => withTxAt(blocks, 1, { hash: tx, from, to, amount: 0n }))
    const rejected = result(check(world), 'rejected-absent')
    expect(rejected.ok).toBe(false)
    expect(rejected.detail).toBe(`1 rejected but committed: id 500 (tx ${tx}) at heights 1`)
  })

  it('an unknown transaction committed twice fails unknown-at-most-once', () => {
    const world = buildWorld(12)
    const tx = 'b'.repeat(64)
    const { from, to } = plantRequest(world, 600, tx, { op: 'unknown', error: 'reset' })
    const twice = (blocks: ChainBlock[]) => {
      const copy = { hash: tx, from, to, amount: 0n }
      return withTxAt(withTxAt(blocks, 1, copy), blocks.length, copy)
    }
    editAllChains(world, (blocks) => withTxAt(blocks, 1, { hash: tx, from, to, amount: 0n }))
    expect(check(world).ok).toBe(true)
    editAllChains(world, (blocks) => twice(withoutTx(blocks, tx)))
    const unknown = result(check(world), 'unknown-at-most-once')
    expect(unknown.ok).toBe(false)
    expect(unknown.detail).toContain(`id 600 (tx ${tx})`)
  })

  it('an answer naming the wrong height fails ack-height', () => {
    const world = buildWorld(13)
    const { ok, invoke } = oks(world)[0]!
    world.records = world.records.map((record) =>
      record === ok ? { ...ok, height: ok.height + 100 } : record,
    )
    const wrong = result(check(world), 'ack-height')
    expect(wrong.ok).toBe(false)
    expect(wrong.detail).toContain(`id ${invoke.id} (tx ${invoke.tx}): answered height ${ok.height + 100}`)
  })

  it('two validators with different blocks at a height fail agreement, naming the height and both sides', () => {
    fc.assert(
      fc.property(
        seeds,
        fc.nat(),
        fc.integer({ min: 1, max: 3 }),
        fc.boolean(),
        (seed, pick, liar, rootOnly) => {
          const world = buildWorld(seed)
          const chain = world.chains[liar]!
          const position = pick % chain.blocks.length
          const original = chain.blocks[position]!
          const forged = rootOnly
            ? { ...original, stateRoot: '0'.repeat(64) }
            : { ...original, hash: '0'.repeat(64) }
          world.chains[liar] = {
            ...chain,
            blocks: chain.blocks.map((block, at) => (at === position ? forged : block)),
          }
          const agreement = result(check(world), 'agreement')
          expect(agreement.ok).toBe(false)
          expect(agreement.detail).toContain(`disagree at height ${position + 1}: `)
          expect(agreement.detail).toContain(
            `validator ${liar}: block ${forged.hash}, state root ${forged.stateRoot}`,
          )
        },
      ),
    )
  })

  it('balances that do not add up to the genesis total fail conservation, by how much', () => {
    const world = buildWorld(14)
    const [address] = [...world.ledger.balances.keys()]
    const balances = new Map(world.ledger.balances)
    balances.set(address!, balances.get(address!)! + 1n)
    const conservation = result(check({ ...world, ledger: { ...world.ledger, balances } }), 'conservation')
    expect(conservation.ok).toBe(false)
    expect(conservation.detail).toMatch(/add up to 4001, the genesis total is 4000 \(\+1\)$/)
  })

  it('a balance not read fails conservation, and so does a height that never settled', () => {
    const world = buildWorld(15)
    const balances = new Map(world.ledger.balances)
    balances.delete([...balances.keys()][0]!)
    expect(result(check({ ...world, ledger: { ...world.ledger, balances } }), 'conservation').detail).toMatch(
      /^no balance read for 1 address/,
    )
    const detail = 'could not get a quiet height before the wait ended: validator 0 at 5, validator 1 at 9'
    const verdict = checkHistory({
      history: world.records,
      chains: world.chains,
      ledger: { kind: 'not-quiet', detail },
    })
    const notQuiet = result(verdict, 'conservation')
    expect(notQuiet).toEqual({ name: 'conservation', ok: false, detail })
  })
})

describe('liveness after the heal', () => {
  const base = buildWorld(21)
  const lastMs = base.records.at(-1)!.t_ms
  const healMs = lastMs + 1_000
  const [from, to] = [...base.ledger.genesisBalances.keys()]
  const tx = 'c'.repeat(64)
  /** One transaction invoked 100 ms after the heal and acknowledged `ackAfterHealMs` after it. */
  const afterHeal = (ackAfterHealMs: number): World => {
    const world = structuredClone(base)
    const height = world.chains[0]!.blocks.length
    world.records.push(
      {
        op: 'invoke',
        id: 900,
        client: 0,
        t_ms: healMs + 100,
        tx,
        from: from!,
        to: to!,
        amount: '1',
        nonce: 0,
        node: 0,
      },
      { op: 'ok', id: 900, t_ms: healMs + ackAfterHealMs, height },
    )
    editAllChains(world, (blocks) => withTxAt(blocks, height, { hash: tx, from: from!, to: to!, amount: 0n }))
    return world
  }

  it('passes when a transaction sent after the heal is acknowledged within the bound', () => {
    const liveness = result(
      check(afterHeal(2_500), { lastHealMs: healMs, livenessBoundMs: 3_000 }),
      'liveness',
    )
    expect(liveness).toEqual({
      name: 'liveness',
      ok: true,
      detail:
        'first acknowledged commit of a transaction invoked after the heal: id 900, 2500 ms after it (bound 3000 ms)',
    })
  })

  it('fails when the first acknowledgement after the heal comes later than the bound', () => {
    const liveness = result(
      check(afterHeal(3_001), { lastHealMs: healMs, livenessBoundMs: 3_000 }),
      'liveness',
    )
    expect(liveness.ok).toBe(false)
    expect(liveness.detail).toContain('3001 ms after it (bound 3000 ms)')
  })

  it('fails when nothing sent after the heal was acknowledged, and is not checked without a heal time', () => {
    expect(result(check(base, { lastHealMs: healMs }), 'liveness').ok).toBe(false)
    expect(result(check(base), 'liveness')).toEqual({
      name: 'liveness',
      ok: true,
      detail: 'not checked: no heal time given',
    })
  })
})

describe('the history file', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'quorate-history-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('reads back what the writer wrote, one line per record', async () => {
    const world = buildWorld(31)
    const path = join(dir, 'history.jsonl')
    const writer = await HistoryWriter.create(path)
    for (const record of world.records) await writer.append(record)
    await writer.close()
    const read = await readHistoryFile(path)
    expect(read.records).toEqual(world.records)
    expect(read.tornLastLine).toBeUndefined()
  })

  it('refuses to write a record the reader would refuse', async () => {
    const writer = await HistoryWriter.create(join(dir, 'history.jsonl'))
    const bad = { op: 'ok', id: 1, t_ms: 5, height: 0 } as const
    await expect(writer.append(bad)).rejects.toThrow(/height: expected an integer ≥ 1, got 0/)
    await writer.close()
  })

  it('tolerates a torn last line, reports it, and counts its request as having no outcome', async () => {
    const world = buildWorld(32)
    const invoke = oks(world)[0]!.invoke
    const complete = `${JSON.stringify({ ...invoke, id: 999 })}\n`
    const torn = JSON.stringify({ op: 'ok', id: 999, t_ms: invoke.t_ms + 1, height: 1 }).slice(0, 20)
    const text = `${world.records.map((record) => JSON.stringify(record)).join('\n')}\n${complete}${torn}`
    const path = join(dir, 'torn.jsonl')
    await writeFile(path, text)
    for (const read of [parseHistoryText(text), await readHistoryFile(path)]) {
      expect(read.tornLastLine).toEqual({ line: world.records.length + 2, text: torn })
      expect(read.records).toHaveLength(world.records.length + 1)
      const verdict = checkHistory({ history: read.records, chains: world.chains, ledger: world.ledger })
      expect(verdict.ok).toBe(true)
      expect(verdict.figures.no_outcome).toBeGreaterThanOrEqual(1)
    }
  })

  it('refuses a malformed line anywhere else, naming its number', async () => {
    const lines = buildWorld(33).records.map((record) => JSON.stringify(record))
    const cases: [string[], RegExp][] = [
      [[lines[0]!, '{"op":"invoke",', ...lines.slice(1)], /^line 2: not JSON/],
      [[lines[0]!, '', ...lines.slice(1)], /^line 2: empty line/],
      [
        [lines[0]!, '{"op":"ok","id":12345,"t_ms":1,"height":3}'],
        /^line 2: ok for id 12345, which was not invoked/,
      ],
      [[lines[0]!, lines[0]!], /^line 2: id 0 is invoked a second time/],
      [[lines[0]!.replace(/"tx":"[0-9a-f]+"/, '"tx":"XYZ"')], /^line 1: tx: expected 64 lowercase hex/],
      [[lines[0]!, '{"op":"commit","id":0,"t_ms":1}'], /^line 2: op: expected invoke, ok, fail or unknown/],
      // Whole (it ends with a newline), so not torn: refused.
      [[...lines, '{"op":"fail"'], new RegExp(`^line ${lines.length + 1}: not JSON`)],
    ]
    for (const [caseLines, message] of cases) {
      const text = `${caseLines.join('\n')}\n`
      expect(() => parseHistoryText(text)).toThrow(HistoryFormatError)
      expect(() => parseHistoryText(text)).toThrow(message)
      const path = join(dir, 'bad.jsonl')
      await writeFile(path, text)
      await expect(readHistoryFile(path)).rejects.toThrow(message)
    }
  })
})

describe('the report', () => {
  it('prints one PASS or FAIL line per check, the figures and the verdict; JSON carries the same', () => {
    const world = buildWorld(41)
    const { invoke } = oks(world)[0]!
    editAllChains(world, (blocks) => withoutTx(blocks, invoke.tx))
    const verdict = check(world)
    const source = {
      testnet: '/tmp/net',
      history: '/tmp/net/history.jsonl',
      torn_last_line: null,
      validators_read: [0, 1, 2, 3],
      validators_excluded: [],
      validators_not_answering: [],
    }
    const text = reportText({ verdict, source })
    const lines = text.split('\n')
    expect(lines.slice(0, 7).map((line) => line.split(' ')[0])).toEqual([
      'PASS',
      'FAIL',
      'PASS',
      'PASS',
      'PASS',
      'PASS',
      'PASS',
    ])
    expect(lines[1]).toMatch(
      new RegExp(`^FAIL acknowledged-committed-once  1 lost: id ${invoke.id} \\(tx ${invoke.tx}\\)`),
    )
    expect(lines[7]).toMatch(
      /^figures: invoked=\d+ ok=\d+ fail=\d+ unknown=\d+ no_outcome=\d+ committed_once=/,
    )
    expect(lines.at(-1)).toBe('verdict: FAIL (acknowledged-committed-once)')
    const json = JSON.parse(JSON.stringify(reportJson({ verdict, source })))
    expect(json.ok).toBe(false)
    expect(json.checks[1]).toEqual({
      name: 'acknowledged-committed-once',
      ok: false,
      detail: verdict.checks[1]!.detail,
    })
    expect(json.figures.invoked).toBe(verdict.figures.invoked)
    expect(json.source).toEqual(source)
  })
})
