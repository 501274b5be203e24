// Package delivery is the runtime between the alerts stream and one
// notifier: it filters, paces, retries, digests and dead-letters, and it
// acknowledges an alert only once its target accepted it.
//
// Lifecycle of one notifier (one Runner):
//
//  1. New validates the Options (ValidateOptions names every problem) and
//     compiles the filter, quiet hours, rate and digest schedule.
//  2. EnsureConsumer (called by Run, callable earlier) creates the durable
//     consumer "notify-<name>" on QUALITYWATCH_ALERTS. A new consumer starts
//     with DeliverNew: a notifier gets the alerts published from its creation
//     on, not the stream's history. An existing consumer keeps its position,
//     so after a restart or an outage delivery continues where it left off.
//  3. Run pulls one alert at a time. An alert the filter does not admit is
//     acked and counted as filtered. An alert whose delivered-mark exists in
//     the state bucket is acked without sending (it was sent before a crash
//     hit between send and ack).
//  4. Immediate notifiers (no digest) hold the alert un-acked, heartbeating
//     with InProgress, while they wait for quiet hours to end, for the rate
//     limit, and between retries. The consumer has MaxAckPending=1, so later
//     alerts wait behind a failing one: delivery is in stream order and a
//     target that is down gets everything once it is back.
//  5. After the target accepted, the delivered-mark is written, then the
//     alert is acked. Transient failures are retried with exponential backoff
//     and jitter (a longer Retry-After wins) up to MaxAttempts; then, and at
//     once for permanent failures, the alert is published to the dead-letter
//     stream and terminated with TermWithReason so it is never redelivered.
//  6. Digest notifiers store each admitted alert in the state bucket and ack
//     it. At each tick of the digest schedule (deferred past quiet hours) one
//     Notify carries every stored alert; the stored due time survives
//     restarts, and a compare-and-set on it lets only one replica send. When
//     the notifier is a notifier.Fitter whose size limit the digest exceeds,
//     the window goes out as consecutive messages of as many alerts as fit,
//     each retried on its own and marked delivered once accepted, so no alert
//     is left out of a message or sent twice.
//  7. When ctx is cancelled Run stops pulling, gives an in-flight Notify a
//     bounded grace period, naks what it still holds (with the remaining
//     delay, so a retry schedule or quiet window is kept) and returns.
//
// Replay sends the dead letters of one notifier again and deletes each one
// its target accepted.
package delivery
