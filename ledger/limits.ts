// Every bound in Quorate, in one place, each named with its unit.

export const chainIdBytesMax = 64
export const txBytesMax = 512
export const blockTxCountMax = 2_000
export const blockBytesMax = 1_048_576
export const validatorCountMax = 256

/** Frame limits per protocol: a frame's length is checked against these before it is read. */
export const consensusFrameBytesMax = blockBytesMax + 64 * 1024
export const txFrameBytesMax = txBytesMax + 16
export const syncFrameBytesMax = 8 * 1_048_576

export const mempoolTxCountMax = 20_000
export const mempoolBytesMax = 16 * 1_048_576
export const peerSendQueueLengthMax = 1_024

export const viewTimeoutBaseMs = 1_000
export const viewTimeoutMaxMs = 30_000
export const viewTimeoutBackoffExponentMax = 5
export const futureViewWindow = 16
/**
 * Proposals for views more than this far below the current view are ignored (and so are those at or below the
 * committed root's view). Late proposals of the previous view or two are still useful: votes are broadcast, so
 * QC(v) (or a TC) can overtake proposal v, and block v is then the parent the next proposal extends. Anything
 * older is fetched by hash if a QC needs it. Without a lower bound a leader could sign proposals for every old
 * view it led, each costing us a tree block, a pending slot, a fetch or an evidence key; with it, every
 * per-view structure of the core holds at most proposalPastViewWindow + 1 + futureViewWindow views.
 */
export const proposalPastViewWindow = 2
export const blockTreeBlockCountMax = 4_096
/**
 * Fetched blocks kept while their parent is still being fetched. A gap wider than blockSyncLagThreshold is
 * closed by block sync; this covers the narrower ones with room to spare.
 */
export const orphanBlockCountMax = 64
export const maxClockDriftMs = 5_000

export const rpcBodyBytesMax = 1_048_576
export const rpcBatchLengthMax = 100
export const rpcJsonDepthMax = 16
export const rpcConnectionCountMax = 256
export const rpcRequestTimeoutMs = 30_000
/** WebSocket connections open at once (each also holds one of rpcConnectionCountMax's connections). */
export const rpcWebSocketCountMax = 64
export const rpcSubscriptionsPerSocketMax = 32
/** Event bytes a subscriber may leave unread before it is dropped as a slow consumer. */
export const rpcSocketBufferedBytesMax = 1_048_576
/** Shorter than rpcRequestTimeoutMs, so broadcast_tx_commit answers "not committed in time" itself. */
export const rpcCommitWaitMs = 25_000

/** Block sync: committed blocks per request, requests in flight, and how peers that fail us are set aside. */
export const syncBatchBlockCountMax = 64
export const syncRequestsInFlightMax = 4
export const syncRequestTimeoutMs = 5_000
export const syncPeerBanMs = 10_000
/** Catch up by block sync (not consensus) when a peer proves (a head with its QC) it is this many blocks ahead. */
export const blockSyncLagThreshold = 16
/** After a block sync that did not close the gap, no new pause for this long, doubling up to the max. */
export const blockSyncBackoffBaseMs = 5_000
export const blockSyncBackoffMaxMs = 60_000

/** Sync requests a server answers at once from one peer (more are a flood) and from all peers together. */
export const syncRequestsServedPerPeerMax = 2
export const syncRequestsServedMax = 8
/**
 * Sync requests (fetches, head probes, block-sync batches together) a validator has outstanding at one peer:
 * half of what a server answers at once, so a request we gave up on that the server is still answering
 * never pushes the next one over the server's bound.
 */
export const syncRequestsOutstandingPerPeerMax = 1
/** Head probes asked for by consensus (a proposal far ahead proves nothing) go out at most this often. */
export const headProbeIntervalMs = 2_000
/** How long a head probe waits for its replies. */
export const headReplyTimeoutMs = 1_000
/** Missing blocks being fetched at once; further fetches are refused (and counted) until some finish. */
export const blockFetchesOutstandingMax = 128
/** How long one peer has to answer a get-block before the next peer is asked. */
export const blockFetchAttemptTimeoutMs = 1_000
