export * from './clock.js'
export * from './network.js'
