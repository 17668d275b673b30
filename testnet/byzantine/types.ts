// A malicious behaviour wraps an honest replica: the honest core decides, the behaviour rewrites what leaves
// (drop, alter, duplicate, redirect, delay, add). It sees everything the replica sends, so it can replay it
// later. The shapes are node/'s outgoing-filter hook, under the names the fixtures use.
export type {
  FilteredMessage as Outgoing,
  IncomingVerdict,
  OutgoingFilter as ByzantineBehaviour,
  OutgoingFilterContext as ByzantineContext,
  OutgoingFilterFactory as ByzantineFactory,
  RawFrame,
} from '../../node/outgoing-filter.js'
