// Defaults and bounds of the evidence pool and its gossip protocol, each named with its unit.

import { evidenceBytesMax } from '../../ledger/codec/index.js'

/** Evidence kept in memory (and on disk); beyond it the oldest of the most prolific offender is dropped. */
export const evidencePoolEntryCountMax = 10_000
/** Encoded bytes of evidence kept (a double proposal can carry two full blocks). */
export const evidencePoolBytesMax = 64 * 1_048_576
/**
 * Peer evidence being verified at once; more is refused as 'overloaded' (each costs two signature checks, and
 * honest peers send each misbehaviour once). Local evidence is never refused.
 */
export const evidenceVerificationsInFlightMax = 64

/** The gossip protocol that carries evidence to every validator. */
export const evidenceProtocol = '/quorate/evidence/1.0.0'
/** A gossip frame: its kind byte, then one evidence encoding. */
export const evidenceGossipFrameBytesMax = 1 + evidenceBytesMax

/** Entries per answer of the JSON-RPC method `evidence`, by default and at most. */
export const evidenceRpcPageLengthDefault = 100
export const evidenceRpcPageLengthMax = 1_000
