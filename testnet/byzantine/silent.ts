// A crashed or cut-off validator that still counts toward n: it sends nothing, ever.

import type { ByzantineFactory } from './types.js'

export const silentFixture: ByzantineFactory = () => ({
  name: 'silent',
  outgoing: () => [],
  tick: () => [],
})
