// The fault lab's pure parts: the link plan (partitions, one-way cuts, delays, heal, and what each validator is
// told), the command parser's rejections, the scenario file parser, and the timeline's per-second figures.

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseLabCommand } from '../../testnet/lab/commands.js'
import { LabRequestError } from '../../testnet/lab/lab-error.js'
import { LinkPlan } from '../../testnet/lab/link-plan.js'
import { parseScenario } from '../../testnet/lab/scenario-file.js'
import { Timeline } from '../../testnet/lab/timeline.js'

describe('LinkPlan', () => {
  it('cuts every link between groups both ways, and leaves links inside a group', () => {
    const plan = new LinkPlan(4)
    plan.partition([[0, 1], [2]])
    // 3 is in no group: alone.
    const cut = plan.entries().map((link) => `${link.from}>${link.to}`)
    expect(cut).toEqual(['0>2', '0>3', '1>2', '1>3', '2>0', '2>1', '2>3', '3>0', '3>1', '3>2'])
    expect(plan.outgoing(0)).toEqual([
      { peer: 2, cut: true, delay_ms: 0, drop_rate: 0 },
      { peer: 3, cut: true, delay_ms: 0, drop_rate: 0 },
    ])
    expect(plan.describe()).toContain('0↔2 cut')
  })

  it('cuts one way only, names it with →, and heals everything', () => {
    const plan = new LinkPlan(4)
    plan.cutOneWay([0], [1, 2, 3])
    expect(plan.outgoing(1)).toEqual([])
    expect(plan.outgoing(0).map((link) => link.peer)).toEqual([1, 2, 3])
    expect(plan.describe()).toEqual(['0→1 cut', '0→2 cut', '0→3 cut'])
    plan.set(2, 3, { delayMs: 150, dropRate: 0.25 })
    expect(plan.describe()).toContain('2→3 +150ms 25% lost')
    plan.heal()
    expect(plan.entries()).toEqual([])
  })

  it('forgets a link set back to plain', () => {
    const plan = new LinkPlan(3)
    plan.set(0, 1, { delayMs: 10 })
    plan.set(0, 1, { delayMs: 0 })
    expect(plan.entries()).toEqual([])
  })

  it('refuses unknown validators, self links and a validator in two groups', () => {
    const plan = new LinkPlan(4)
    expect(() => plan.partition([[0, 4]])).toThrow(/no validator 4/)
    expect(() =>
      plan.partition([
        [0, 1],
        [1, 2],
      ]),
    ).toThrow(/more than one group/)
    expect(() => plan.set(2, 2, { cut: true })).toThrow(/two validators/)
    expect(plan.entries()).toEqual([])
  })

  it('a symmetric partition cuts exactly the pairs in different groups (random groups)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 6, maxLength: 6 }), (groupOf) => {
        const plan = new LinkPlan(6)
        const groups = [0, 1, 2, 3].map((group) =>
          groupOf.flatMap((g, index) => (g === group ? [index] : [])),
        )
        plan.partition(groups.filter((group) => group.length > 0))
        const cut = new Set(plan.entries().map((link) => `${link.from}>${link.to}`))
        for (let a = 0; a < 6; a++) {
          for (let b = 0; b < 6; b++) {
            if (a !== b) expect(cut.has(`${a}>${b}`)).toBe(groupOf[a] !== groupOf[b])
          }
        }
      }),
    )
  })
})

describe('parseLabCommand', () => {
  it('reads every command', () => {
    expect(parseLabCommand({ command: 'kill', validator: 2 })).toEqual({ command: 'kill', validator: 2 })
    expect(parseLabCommand({ command: 'restart', validator: 1, fixture: null })).toEqual({
      command: 'restart',
      validator: 1,
      fixture: null,
    })
    expect(parseLabCommand({ command: 'partition', from: [0], to: [1, 2] })).toEqual({
      command: 'cut',
      from: [0],
      to: [1, 2],
    })
    expect(parseLabCommand({ command: 'link', from: 0, to: 1, delay_ms: 20, drop_rate: 0.5 })).toMatchObject({
      delayMs: 20,
      dropRate: 0.5,
      both: false,
    })
    expect(parseLabCommand({ command: 'skew', validator: 0, ms: -6000 })).toMatchObject({ ms: -6000 })
  })

  it.each([
    [[], /JSON object/],
    [{ command: 'explode' }, /command: one of/],
    [{ command: 'kill' }, /validator: a validator index/],
    [{ command: 'kill', validator: -1 }, /validator index/],
    [{ command: 'restart', validator: 0, fixture: 'nice' }, /fixture: one of/],
    [{ command: 'partition', groups: [] }, /non-empty/],
    [{ command: 'partition', groups: [[0, 'x']] }, /groups\[0\]\[1\]/],
    [{ command: 'link', from: 0, to: 1, drop_rate: 1.5 }, /drop_rate: a probability/],
    [{ command: 'link', from: 0, to: 1, delay_ms: 60_001 }, /delay_ms/],
    [{ command: 'skew', validator: 0, ms: 0.5 }, /ms: a whole number/],
  ])('rejects %j', (body, message) => {
    expect(() => parseLabCommand(body)).toThrow(LabRequestError)
    expect(() => parseLabCommand(body)).toThrow(message)
  })
})

describe('parseScenario', () => {
  const valid = {
    validators: 4,
    duration_ms: 10_000,
    steps: [{ at_ms: 1_000, do: { command: 'kill', validator: 'leader' }, expect_commits: 'some' }],
  }

  it('reads a scenario with defaults', () => {
    const scenario = parseScenario('s', valid)
    expect(scenario).toMatchObject({
      validators: 4,
      twins: [],
      load: { clients: 4, intervalMs: 100 },
    })
    expect(scenario.steps[0]).toEqual({
      atMs: 1_000,
      do: { command: 'kill', validator: 'leader' },
      expectCommits: 'some',
    })
  })

  it.each([
    [{ ...valid, validators: 0 }, /validators: a whole number 1\.\.64/],
    [{ ...valid, byzantine: { 1: 'nice' } }, /not a fixture name/],
    [{ ...valid, byzantine: { 9: 'silent' } }, /byzantine key 9/],
    [{ ...valid, steps: [{ at_ms: 20_000 }] }, /at_ms: a whole number 0\.\.10000/],
    [{ ...valid, steps: [{ at_ms: 2, do: { command: 'kill', validator: 7 } }] }, /validator indexes 0\.\.3/],
    [{ ...valid, steps: [{ at_ms: 5 }, { at_ms: 1 }] }, /time order/],
    [{ ...valid, steps: [{ at_ms: 5, expect_commits: 'lots' }] }, /"some" or "none"/],
  ])('rejects a bad file (%#)', (json, message) => {
    expect(() => parseScenario('s', json)).toThrow(message)
  })
})

describe('Timeline', () => {
  it('counts commits, transactions and views without a commit per round, and who was down', () => {
    const timeline = new Timeline()
    const sample = (height: number, view: number) => ({ height, view })
    timeline.record({ timeMs: 1_000, samples: [sample(10, 12), sample(9, 12)], totalTxs: 100 })
    const second = timeline.record({ timeMs: 2_000, samples: [sample(13, 18), undefined], totalTxs: 130 })
    expect(second).toEqual({ t_ms: 2_000, height: 13, commits: 3, txs: 30, view_changes: 3, down: [1] })
    const allDown = timeline.record({ timeMs: 3_000, samples: [undefined, undefined], totalTxs: undefined })
    expect(allDown).toMatchObject({ height: 13, commits: 0, down: [0, 1] })
  })
})
