// Peer scores and temporary bans, between two real hosts (TCP + Noise + Yamux on 127.0.0.1).

import { afterEach, describe, expect, it } from 'vitest'
import { P2PConfigError, type PeerEvent, type ProtocolSpec } from '../../p2p/index.js'
import {
  Closer,
  createIdentity,
  loopbackAnyPort,
  type RecordingHost,
  sleep,
  startRecordingHost,
  type TestIdentity,
  waitFor,
} from './helpers.js'

const consensus: ProtocolSpec = { id: '/quorate/consensus/1.0.0', frameBytesMax: 1024 }
const banDurationBaseMs = 1_500

describe('P2PHost peer scores and bans', () => {
  const closer = new Closer()
  afterEach(() => closer.closeAll())

  /**
   * `judge` scores `suspect`. Both know each other's address, so either could restore the link: a ban must
   * hold against the suspect's redials and the judge's own reconnector alike.
   */
  async function startPair(): Promise<{
    judge: RecordingHost
    suspect: RecordingHost
    judgeIdentity: TestIdentity
    suspectIdentity: TestIdentity
  }> {
    const [judgeIdentity, suspectIdentity] = await Promise.all([createIdentity(), createIdentity()])
    const judge = await startRecordingHost(closer, {
      nodeSecretKey: judgeIdentity.secretKey,
      listenAddresses: [loopbackAnyPort],
      peers: [{ nodeKey: suspectIdentity.nodeKey, addresses: [] }],
      protocols: [consensus],
      reconnectDelayBaseMs: 50,
      reconnectDelayMaxMs: 200,
      banDurationBaseMs,
    })
    const suspect = await startRecordingHost(closer, {
      nodeSecretKey: suspectIdentity.secretKey,
      listenAddresses: [loopbackAnyPort],
      peers: [{ nodeKey: judgeIdentity.nodeKey, addresses: judge.host.listenAddresses() }],
      protocols: [consensus],
      // Redials fast and often during the ban: every attempt must be refused.
      reconnectDelayBaseMs: 50,
      reconnectDelayMaxMs: 200,
    })
    await waitFor(
      () => judge.host.connectedPeers().length === 1 && suspect.host.connectedPeers().length === 1,
      'connected',
    )
    return { judge, suspect, judgeIdentity, suspectIdentity }
  }

  async function expectFramesFlowBothWays(pair: Awaited<ReturnType<typeof startPair>>, tag: number) {
    const { judge, suspect, judgeIdentity, suspectIdentity } = pair
    const [judgeFramesBefore, suspectFramesBefore] = [judge.frames.length, suspect.frames.length]
    await waitFor(
      () => judge.host.send(suspectIdentity.nodeKeyHex, consensus.id, Uint8Array.of(tag)),
      'judge can send',
    )
    await waitFor(
      () => suspect.host.send(judgeIdentity.nodeKeyHex, consensus.id, Uint8Array.of(tag)),
      'suspect can send',
    )
    await waitFor(
      () => judge.frames.length > judgeFramesBefore && suspect.frames.length > suspectFramesBefore,
      'frames both ways',
    )
    expect(judge.frames.at(-1)?.frame).toEqual(Uint8Array.of(tag))
    expect(suspect.frames.at(-1)?.frame).toEqual(Uint8Array.of(tag))
  }

  const eventsOf = (events: PeerEvent[], kind: PeerEvent['kind']) =>
    events.filter((event) => event.kind === kind)

  it('penalties lower the score by their default weights, which then decays back towards 0', async () => {
    const { judge, suspectIdentity } = await startPair()
    const suspectKey = suspectIdentity.nodeKeyHex
    const scoreOf = () => judge.host.peerScores().find((entry) => entry.nodeKeyHex === suspectKey)
    expect(judge.host.peerScores()).toEqual([{ nodeKeyHex: suspectKey, score: 0 }])

    judge.host.penalize(suspectKey, 'invalid-frame')
    judge.host.penalize(suspectKey, 'bad-signature')
    judge.host.penalize(suspectKey, 'flood', 1)
    const penalties = eventsOf(judge.events, 'penalized')
    expect(penalties.map(({ reason }) => reason)).toEqual(['invalid-frame', 'bad-signature', 'flood'])
    // Weights 10 + 20 + 1, less at most a few milliseconds of decay at 1 point per second.
    expect(penalties.at(-1)?.score).toBeCloseTo(-31, 0)
    expect(scoreOf()?.score).toBeLessThan(-30)
    expect(scoreOf()?.bannedUntilMs).toBeUndefined()
    await sleep(1_100)
    expect(scoreOf()?.score).toBeGreaterThan(-30)
    expect(judge.host.connectedPeers()).toEqual([suspectKey])
    expect(eventsOf(judge.events, 'banned')).toEqual([])

    // Caller mistakes are told apart from a peer's fault; unknown peers are ignored.
    expect(() => judge.host.penalize(suspectKey, 'invalid-frame', -1)).toThrow(P2PConfigError)
    expect(() => judge.host.penalize(suspectKey, 'no-such-reason' as 'flood')).toThrow(P2PConfigError)
    judge.host.penalize('00'.repeat(32), 'forged-certificate')
    expect(eventsOf(judge.events, 'penalized')).toHaveLength(3)
  })

  it('at the threshold the peer is disconnected and refused both ways until the ban ends, then reconnects by itself; a second offence bans twice as long', async () => {
    const pair = await startPair()
    const { judge, suspect, suspectIdentity } = pair
    const suspectKey = suspectIdentity.nodeKeyHex
    await expectFramesFlowBothWays(pair, 1)

    for (const [offence, expectedBanMs] of [
      [1, banDurationBaseMs],
      [2, 2 * banDurationBaseMs],
    ] as const) {
      const judgeEventsBefore = judge.events.length
      // Two forged certificates (60 each) pass the default threshold of -100; one does not.
      judge.host.penalize(suspectKey, 'forged-certificate')
      expect(judge.host.connectedPeers()).toEqual([suspectKey])
      const banStartMs = Date.now()
      judge.host.penalize(suspectKey, 'forged-certificate')

      const banned = judge.events.slice(judgeEventsBefore).find((event) => event.kind === 'banned')
      expect(banned).toMatchObject({ kind: 'banned', nodeKeyHex: suspectKey, durationMs: expectedBanMs })
      expect(banned?.detail).toContain(`offence ${offence}`)
      expect(judge.host.connectedPeers()).toEqual([])
      const [standing] = judge.host.peerScores()
      // The score resets when the ban starts.
      expect(standing?.score).toBe(0)
      expect(standing?.bannedUntilMs).toBeGreaterThanOrEqual(banStartMs + expectedBanMs)
      expect(standing?.bannedUntilMs).toBeLessThanOrEqual(Date.now() + expectedBanMs)
      await waitFor(() => suspect.host.connectedPeers().length === 0, 'the suspect sees the disconnect')

      // Most of the ban: the suspect keeps redialing (and sending whenever its side of a refused connection
      // looks open for a moment); every attempt is refused at the judge's gater and nothing is delivered.
      const judgeFramesBefore = judge.frames.length
      const quietUntilMs = Date.now() + expectedBanMs - 500
      while (Date.now() < quietUntilMs) {
        suspect.host.send(pair.judgeIdentity.nodeKeyHex, consensus.id, Uint8Array.of(0))
        await sleep(20)
      }
      expect(judge.frames.length).toBe(judgeFramesBefore)
      const judgeDuringBan = judge.events.slice(judgeEventsBefore)
      expect(judgeDuringBan.filter((event) => event.kind === 'connected')).toEqual([])
      const refusals = judgeDuringBan.filter((event) => event.kind === 'rejected')
      expect(refusals.length).toBeGreaterThan(0)
      // Only inbound refusals: had the judge's reconnector dialed, its gater would report 'dial: … is banned'.
      expect(refusals.map((event) => event.detail?.replace(/ peer \S+ /, ' peer … '))).toEqual(
        refusals.map(() => 'inbound: peer … is banned'),
      )
      expect(judge.host.send(suspectKey, consensus.id, Uint8Array.of(0))).toBe(false)
      // Penalties of a banned peer (frames still in the node's pipeline) change nothing.
      judge.host.penalize(suspectKey, 'forged-certificate')
      expect(judge.host.peerScores()[0]?.score).toBe(0)

      await waitFor(
        () => judge.events.slice(judgeEventsBefore).some((event) => event.kind === 'unbanned'),
        'the ban ends',
        expectedBanMs + 3_000,
      )
      const unbannedAfterMs = Date.now() - banStartMs
      expect(unbannedAfterMs).toBeGreaterThanOrEqual(expectedBanMs - 50)
      expect(unbannedAfterMs).toBeLessThan(expectedBanMs + 3_000)
      expect(judge.host.peerScores()).toEqual([{ nodeKeyHex: suspectKey, score: 0 }])
      await waitFor(
        () => judge.host.connectedPeers().length === 1 && suspect.host.connectedPeers().length === 1,
        'reconnected after the ban',
        5_000,
      )
      await expectFramesFlowBothWays(pair, 10 + offence)
    }
    expect(eventsOf(judge.events, 'banned').map((event) => event.durationMs)).toEqual([
      banDurationBaseMs,
      2 * banDurationBaseMs,
    ])
    expect(eventsOf(judge.events, 'unbanned')).toHaveLength(2)
  })
})
