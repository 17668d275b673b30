// The Ed25519 ceiling of this machine, measured in the same run as the load: every validator verifies every
// transaction's signature once, so n validators on one machine cannot commit more than (verifications per
// second on all cores) / n transactions per second. Measured as etcd's reference run measures it, so the two
// runs' ceilings compare: node:crypto's asynchronous verify (the libuv thread pool) over cached public
// KeyObjects and 128-byte messages with many calls in flight, plus the synchronous rate on one thread.
// node:crypto is used directly here, not through crypto/, on purpose: this is the machine's primitive, the
// bound that any implementation of the node lives under.

import crypto, { type KeyObject } from 'node:crypto'
import { performance } from 'node:perf_hooks'

export interface Ed25519Ceiling {
  readonly verify_per_s_async: number
  readonly verify_per_s_sync: number
  readonly async_in_flight: number
  readonly uv_threadpool_size: number
  readonly async_ms: number
  readonly sync_ms: number
  readonly msg_bytes: number
}

export interface CeilingOptions {
  readonly asyncMs: number
  readonly syncMs: number
}

const keyCount = 64
const messageCount = 1_024
const messageBytes = 128
const inFlight = 256
/** The synchronous loop reads the clock once per this many verifications. */
const syncBatch = 64
/** Upper bound on verifications per phase, whatever the duration asked. */
const verificationsMax = 10_000_000

export class CeilingMeasurementError extends Error {
  static override name = 'CeilingMeasurementError'
  override name = 'CeilingMeasurementError'
}

interface Signed {
  readonly key: KeyObject
  readonly message: Buffer
  readonly signature: Buffer
}

function signedMessages(): Signed[] {
  const keys = Array.from({ length: keyCount }, () => crypto.generateKeyPairSync('ed25519'))
  return Array.from({ length: messageCount }, (_, index) => {
    const pair = keys[index % keyCount]!
    const message = crypto.randomBytes(messageBytes)
    return { key: pair.publicKey, message, signature: crypto.sign(null, message, pair.privateKey) }
  })
}

function verifyAsync(item: Signed): Promise<boolean> {
  return new Promise((resolve, reject) => {
    crypto.verify(null, item.message, item.key, item.signature, (error, valid) =>
      error === null ? resolve(valid) : reject(error),
    )
  })
}

export async function measureEd25519Ceiling(options: CeilingOptions): Promise<Ed25519Ceiling> {
  const items = signedMessages()
  let invalid = 0

  for (let i = 0; i < 200; i++) crypto.verify(null, items[i]!.message, items[i]!.key, items[i]!.signature)
  let syncCount = 0
  const syncStartMs = performance.now()
  const syncEndMs = syncStartMs + options.syncMs
  while (syncCount < verificationsMax) {
    for (let j = 0; j < syncBatch; j++, syncCount++) {
      const item = items[syncCount % messageCount]!
      if (!crypto.verify(null, item.message, item.key, item.signature)) invalid++
    }
    if (performance.now() >= syncEndMs) break
  }
  const syncRate = syncCount / ((performance.now() - syncStartMs) / 1000)

  let issued = 0
  const asyncStartMs = performance.now()
  const asyncEndMs = asyncStartMs + options.asyncMs
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (issued < verificationsMax && performance.now() < asyncEndMs) {
        if (!(await verifyAsync(items[issued++ % messageCount]!))) invalid++
      }
    }),
  )
  const asyncRate = issued / ((performance.now() - asyncStartMs) / 1000)
  if (invalid > 0) throw new CeilingMeasurementError(`${invalid} honest signatures failed to verify`)
  return {
    verify_per_s_async: Math.round(asyncRate),
    verify_per_s_sync: Math.round(syncRate),
    async_in_flight: inFlight,
    uv_threadpool_size: Number(process.env.UV_THREADPOOL_SIZE ?? 4),
    async_ms: options.asyncMs,
    sync_ms: options.syncMs,
    msg_bytes: messageBytes,
  }
}
