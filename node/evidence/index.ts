export * from './constants.js'
export { decodeEvidenceGossip, encodeEvidenceGossip } from './evidence-gossip.js'
export * from './evidence-json.js'
export {
  type EvidenceAddResult,
  EvidencePool,
  type EvidencePoolOptions,
  type EvidenceSource,
  type EvidenceStore,
} from './evidence-pool.js'
export * from './evidence-verifier.js'
