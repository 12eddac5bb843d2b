// The durable messages a waiting run receives: an operator's word (a decision, a cancel request).
// An operation's end and a boot are recorded on the operation's route instead (operation-signals.ts).

/**
 * Carries only a wake-up, for a decision or a cancel request: one topic, so that a run waiting for a
 * decision (or in a retry's backoff) hears both. What the operator said is read from the database.
 */
export const operatorTopic = 'decision';

/**
 * How often a waiting run asks the database whether its message came. DBOS wakes the wait itself when
 * the message is written (PostgreSQL LISTEN/NOTIFY, from whichever manager wrote it), so this only
 * covers a wake-up lost with a connection; a run that waits costs the database nothing meanwhile.
 */
export const messagePollingMs = 30_000;
