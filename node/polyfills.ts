// libp2p 3 calls Promise.withResolvers, which Node.js 20 lacks. Load the standard polyfill once per process,
// before anything imports libp2p.
import 'core-js/actual/promise/with-resolvers.js'
