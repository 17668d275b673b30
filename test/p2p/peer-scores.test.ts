import { describe, expect, it } from 'vitest'
import { PeerScoreBook, type PeerScoreBookOptions } from '../../p2p/peer-scores.js'

function createBook(overrides: Partial<PeerScoreBookOptions> = {}) {
  const clock = { nowMs: 1_000_000 }
  const book = new PeerScoreBook(['peer', 'other'], {
    threshold: -100,
    decayPerSecond: 1,
    banDurationBaseMs: 10_000,
    banDurationMaxMs: 600_000,
    offencesForgetMs: 3_600_000,
    nowMs: () => clock.nowMs,
    ...overrides,
  })
  return { book, clock }
}

describe('peer score book', () => {
  it('penalties subtract their weight and the score recovers towards 0, never above it', () => {
    const { book, clock } = createBook()
    expect(book.penalize('peer', 30)).toEqual({ kind: 'scored', score: -30 })
    clock.nowMs += 10_000
    expect(book.score('peer')).toBe(-20)
    expect(book.penalize('peer', 5)).toEqual({ kind: 'scored', score: -25 })
    clock.nowMs += 60_000
    expect(book.score('peer')).toBe(0)
    expect(book.score('other')).toBe(0)
  })

  it('bans at the threshold (inclusive), resets the score, and refuses further penalties while banned', () => {
    const { book, clock } = createBook()
    book.penalize('peer', 60)
    const outcome = book.penalize('peer', 40)
    expect(outcome).toEqual({
      kind: 'scored',
      score: -100,
      ban: { durationMs: 10_000, untilMs: clock.nowMs + 10_000, offence: 1 },
    })
    expect(book.isBanned('peer')).toBe(true)
    expect(book.isBanned('other')).toBe(false)
    expect(book.score('peer')).toBe(0)
    expect(book.penalize('peer', 1_000)).toEqual({ kind: 'ignored-while-banned' })
    expect(book.snapshot()).toEqual([
      { nodeKeyHex: 'peer', score: 0, bannedUntilMs: clock.nowMs + 10_000 },
      { nodeKeyHex: 'other', score: 0 },
    ])
    expect(book.endBan('peer')).toBe(true)
    expect(book.endBan('peer')).toBe(false)
    expect(book.snapshot()[0]).toEqual({ nodeKeyHex: 'peer', score: 0 })
  })

  it('doubles the ban per repeat offence up to the maximum, and forgets offences after a quiet hour', () => {
    const { book, clock } = createBook({ banDurationMaxMs: 50_000 })
    const durations: number[] = []
    for (let offence = 0; offence < 5; offence++) {
      const outcome = book.penalize('peer', 100)
      if (outcome.kind !== 'scored' || outcome.ban === undefined) {
        throw new Error('expected a ban')
      }
      durations.push(outcome.ban.durationMs)
      clock.nowMs += outcome.ban.durationMs
      book.endBan('peer')
    }
    expect(durations).toEqual([10_000, 20_000, 40_000, 50_000, 50_000])
    clock.nowMs += 3_600_000
    const afterQuiet = book.penalize('peer', 100)
    expect(afterQuiet.kind === 'scored' && afterQuiet.ban).toEqual({
      durationMs: 10_000,
      untilMs: clock.nowMs + 10_000,
      offence: 1,
    })
  })

  it('rejects unknown peers and invalid weights as programming errors', () => {
    const { book } = createBook()
    expect(() => book.penalize('stranger', 1)).toThrow(RangeError)
    expect(() => book.penalize('peer', -1)).toThrow(RangeError)
    expect(() => book.penalize('peer', Number.NaN)).toThrow(RangeError)
    expect(() => createBook({ threshold: 0 })).toThrow(RangeError)
  })
})
