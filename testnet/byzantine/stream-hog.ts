// Stream hog: a peer that opens streams and never reads. It sends like an honest validator, but reads nothing
// its peers send it: in a real process the p2p host stops reading its inbound streams, so they stall with
// their buffers full; in the simulator nothing is delivered to it and its peers' send queues to it fill up.
//
// An honest validator must bound what it holds for one peer (send queue by count and bytes, stream buffers,
// pending writes), drop or reset rather than wait, and never let one stuck peer delay what it sends the others:
// consensus among the rest goes on as if this validator had crashed.

import { toEach } from './messages.js'
import type { ByzantineFactory } from './types.js'

export const streamHogFixture: ByzantineFactory = () => ({
  name: 'stream-hog',
  outgoing: toEach,
  readsNothing: true,
})
