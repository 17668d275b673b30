import { toHex } from '../../crypto/hex.js'
import type { GenesisValidator } from '../../ledger/genesis.js'
import type { RpcMethods } from '../rpc/dispatch.js'
import { invalidParams } from '../rpc/errors.js'
import { paramsObject } from '../rpc/params.js'
import { type LinkFault, LinkFaultError, type LinkFaults } from './link-faults.js'
import type { SkewableClock } from './skewable-clock.js'

export const clockSkewMsMax = 24 * 3_600_000

export interface FaultInjection {
  readonly links: LinkFaults
  readonly clock: SkewableClock
  readonly validators: readonly GenesisValidator[]
  readonly selfIndex: number
}

/**
 * `unsafe_*` JSON-RPC methods of a validator in testnet mode (docs/fault-lab.md): the testnet runner sets the
 * faults on this validator's outgoing links and steps its clock. Never registered outside testnet mode.
 */
export function faultRpcMethods(injection: FaultInjection): RpcMethods {
  const { links, clock, validators, selfIndex } = injection
  const nodeKeyOf = (index: unknown): string => {
    const validator = typeof index === 'number' ? validators[index] : undefined
    if (validator === undefined || !Number.isInteger(index)) {
      throw invalidParams(
        `links: peer must be a validator index 0..${validators.length - 1}: ${String(index)}`,
      )
    }
    if (index === selfIndex) throw invalidParams(`links: peer ${index} is this validator`)
    return toHex(validator.nodeKey)
  }
  const describe = () => ({
    links: [...links.entries()].map(([nodeKey, fault]) => ({
      peer: validators.findIndex((validator) => toHex(validator.nodeKey) === nodeKey),
      cut: fault.cut,
      delay_ms: fault.delayMs,
      drop_rate: fault.dropRate,
    })),
    clock_skew_ms: clock.skewMs,
    dropped_frames: links.droppedFrames,
  })
  return {
    unsafe_faults: async () => describe(),
    unsafe_set_link_faults: async (params) => {
      const list = paramsObject(params, ['links']).links
      if (!Array.isArray(list))
        throw invalidParams('links: an array of {peer, cut, delay_ms, drop_rate} is required')
      const faults = new Map<string, LinkFault>()
      for (const item of list) {
        const entry = paramsObject(item)
        const delayMs = entry.delay_ms ?? 0
        const dropRate = entry.drop_rate ?? 0
        if (typeof delayMs !== 'number' || typeof dropRate !== 'number') {
          throw invalidParams('links: delay_ms and drop_rate must be numbers')
        }
        faults.set(nodeKeyOf(entry.peer), { cut: entry.cut === true, delayMs, dropRate })
      }
      try {
        links.replace(faults)
      } catch (error) {
        if (error instanceof LinkFaultError) throw invalidParams(`links: ${error.message}`)
        throw error
      }
      return describe()
    },
    unsafe_set_clock_skew: async (params) => {
      const skewMs = paramsObject(params, ['skew_ms']).skew_ms
      if (typeof skewMs !== 'number' || !Number.isSafeInteger(skewMs) || Math.abs(skewMs) > clockSkewMsMax) {
        throw invalidParams(`skew_ms: a whole number of ms within ±${clockSkewMsMax} is required`)
      }
      clock.setSkewMs(skewMs)
      return describe()
    },
  }
}
