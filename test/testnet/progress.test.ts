import { describe, expect, it } from 'vitest'
import { formatProgressLine, parseStatusSample, TxRateWindow } from '../../testnet/progress.js'

describe('testnet progress', () => {
  it("formats one line: height, view, the view's leader, tx/s, validators up", () => {
    expect(
      formatProgressLine({
        height: 123,
        view: 130,
        leader: 3,
        validatorCount: 4,
        upCount: 4,
        txPerSecond: 45,
      }),
    ).toBe('h=123 view=130 leader=3 tx/s=45.0 up=4/4')
    expect(
      formatProgressLine({
        height: undefined,
        view: undefined,
        leader: undefined,
        validatorCount: 4,
        upCount: 0,
        txPerSecond: 0,
      }),
    ).toBe('h=? view=? leader=? tx/s=0.0 up=0/4')
  })

  it('reads height, view and total_txs from a status answer, ignoring anything malformed', () => {
    expect(parseStatusSample({ height: 5, view: 7, block_hash: 'ab' })).toEqual({ height: 5, view: 7 })
    expect(parseStatusSample({ height: 5, view: 7, leader: 2, total_txs: 90 })).toEqual({
      height: 5,
      view: 7,
      leader: 2,
      totalTxs: 90,
    })
    expect(parseStatusSample({ height: 5, view: 7, leader: -1 })).toEqual({ height: 5, view: 7 })
    expect(parseStatusSample({ height: '5', view: 7 })).toBeUndefined()
    expect(parseStatusSample({ height: -1, view: 7 })).toBeUndefined()
    expect(parseStatusSample(null)).toBeUndefined()
  })

  it('computes tx/s over the sliding window', () => {
    const window = new TxRateWindow(5_000)
    expect(window.perSecond()).toBe(0)
    window.add(0, 0)
    window.add(1_000, 100)
    expect(window.perSecond()).toBe(100)
    for (let second = 2; second <= 10; second++) window.add(second * 1_000, 100)
    // Nothing committed in the last five seconds.
    expect(window.perSecond()).toBe(0)
    window.add(11_000, 600)
    // 500 txs between the sample at the window start (6 s) and now (11 s).
    expect(window.perSecond()).toBe(100)
  })
})
