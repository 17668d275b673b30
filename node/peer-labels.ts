import { toHex } from '../crypto/hex.js'

/**
 * A peer as a metric label: its validator index (a small, fixed label set), 'other' for anyone else and
 * 'unknown' when the peer is not known. Built once: rejections are counted on the hot path of a flood.
 */
export function peerLabeller(
  validators: ReadonlyArray<{ readonly nodeKey: Uint8Array }>,
): (nodeKeyHex: string | undefined) => string {
  const labels = new Map(validators.map((v, index) => [toHex(v.nodeKey), String(index)]))
  return (nodeKeyHex) => (nodeKeyHex === undefined ? 'unknown' : (labels.get(nodeKeyHex) ?? 'other'))
}
