// Package delivery is the runtime between the alerts stream and one
// notifier: it filters, paces, retries, digests and dead-letters, and it
// acknowledges an alert only once its target accepted it.
//
// Lifecycle of one notifier (one Runner):
//
//  1. New validates the Options (ValidateOptions names every problem). The
//     rhythm (digest schedule, quiet hours, rate) arrives compiled, as the
//     config compiled it when it loaded (package rhythm).
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
//     with InProgress every 3/10 of AckWait (5 s by default), while the
//     target answers (however slowly) and while the sender waits for quiet
//     hours to end, for the rate limit, and between retries. The consumer
//     has MaxAckPending=1, so later alerts wait behind a failing one:
//     delivery is in stream order and a target that is down gets everything
//     once it is back.
//  5. Right before each attempt the send intent is written; the moment the
//     target accepted, the delivered-mark, then the alert is acked; when
//     the target refused, the intent is removed. Transient failures are
//     retried with exponential backoff and jitter (a longer Retry-After
//     wins) up to MaxAttempts; then, and at once for permanent failures, the
//     alert is published to the dead-letter stream and terminated with
//     TermWithReason so it is never redelivered.
//  6. Digest notifiers store each admitted alert in the state bucket and ack
//     it. At each tick of the digest schedule (deferred past quiet hours) one
//     Notify carries every stored alert; the stored due time survives
//     restarts, and a compare-and-set on it lets only one replica send. When
//     the notifier is a notifier.Fitter whose size limit the digest exceeds,
//     the window goes out as consecutive messages of as many alerts as fit,
//     each retried on its own and marked delivered once accepted, so no alert
//     is left out of a message or sent twice.
//  7. A consumer that disappears (deleted, lost with a server's state) is
//     created again at the runner's position: the first alert it has not
//     settled. A pull that gets no answer at all (no responders) asks the
//     server whether the consumer still exists, so a vanished consumer is
//     never retried for ever.
//  8. When ctx is cancelled Run stops pulling, gives an in-flight Notify a
//     bounded grace period, naks what it still holds (with the remaining
//     delay, so a retry schedule or quiet window is kept) and returns.
//
// A process that dies (kill -9, a lost machine) settles nothing: its
// heartbeats stop and the server hands the alert it held to a runner again
// (another replica, or the process restarted) once AckWait has passed since
// the last one; an embedded server, which died with the process, does so
// about AckWait after it is back. Delivery is
// at least once: the intent and the mark around each send (see state) make
// the one repeat a crash can cause the message whose request the target was
// answering when the process died, and the runner warns when it sends such
// a message again. Channels carry ids receivers can drop repeats by (see
// notifier.DedupKey).
//
// Replay sends the dead letters of one notifier again and deletes each one
// its target accepted.
//
// The parts, one concept per file: sender (quiet hours, rate, retry with
// backoff and the Retry-After rule, for immediate delivery, digest parts and
// Replay alike), state (the state bucket: delivered marks, send intents,
// digest windows and their keys), position (where a runner is in the
// stream), consume (pulling and settling), digest and digestsend (windows),
// deadletter, replay. Errors do not name the notifier: the caller does,
// once.
package delivery
