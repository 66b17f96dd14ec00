// Package esl is the dialer's FreeSWITCH event-socket client: a supervised
// connection over github.com/percipia/eslgo v1.5.0 that neutralises
// eslgo's defects (numbered as in ESL.md section 5), plus the typed
// commands, events and call-state merge the engine uses. The engine declares
// the interface it needs; *Client is the implementation.
//
// # The connection
//
// eslgo can only dial an address itself and cannot be handed a socket, so
// the client dials FreeSWITCH with its own net.Conn and lets eslgo dial a
// private Unix socket (in a fresh 0700 directory, removed once eslgo is
// connected) whose other end is a small relay, the guard. The guard reads
// whole frames from FreeSWITCH and passes them on, and that is where most
// guarantees come from:
//
//   - Dial and auth have deadlines (defect 8): a silent server, an ACL's
//     rude rejection (ErrRejected) or a wrong password (*ReplyError) fails
//     the dial in time; the guard then feeds eslgo's waiting Dial the frames
//     that make it fail through its own error path, so no goroutine is left
//     behind.
//   - Every way the socket ends, including an end of stream inside a frame,
//     which eslgo ignores (defect 6), kills the connection at once. eslgo
//     itself never sees an end of stream. Ending a connection never relies
//     on eslgo's Options.Context, whose cancellation neither closes the
//     socket nor reports the loss (defect 10): the client closes its own
//     socket.
//   - log/data and any frame type eslgo does not know would stop its reader
//     for good (defect 7); JSON and XML events are not decoded by eslgo
//     (defect 12). The guard keeps them from eslgo and counts them. Only
//     plain events are subscribed.
//   - Event header names that Go's textproto refuses (a space, '@', '/')
//     make eslgo drop the whole event (defect 11); events never reach
//     eslgo once subscribed (below), and the guard percent-escapes those
//     bytes in any that would. Values are decoded exactly once by Event,
//     which keeps a malformed escape instead of returning "" as eslgo does.
//
// eslgo's Close races with its own goroutines (defect 13, the "send on
// closed channel" panic of issue #46) and blocks while a command is pending
// (defect 9). The client never calls it: to retire a connection it closes
// the real socket, waits for the command in flight to end (every command
// runs under a context the connection cancels), and writes to eslgo the
// frames that make eslgo's auth loop close the connection itself, in an
// order that puts every access to eslgo's maps before the close (a reply
// eslgo still holds for a command that gave up is taken first, since eslgo
// would otherwise wait 5 s for a taker). Close and reconnects are bounded in
// time whatever eslgo does. This relies on eslgo v1.5.0's internals, which
// go.mod pins; a new eslgo version needs the tests in this package re-run
// with -race before it is accepted.
//
// # Commands
//
// One command is in flight per connection: a semaphore is held from the
// write until the reply (defect 3: eslgo releases its lock before the
// reply). A command that gives up after being written (the caller's context
// or Config.CommandTimeout) poisons the reply stream, since its late reply
// would be returned to the next command (defect 4), so the connection is
// closed and the client reconnects. Pending commands fail with
// ErrDisconnected when the connection is lost; with no connection they fail
// at once with ErrNotConnected. Every error that happened before the
// command was written wraps ErrNotSent, so the caller knows when repeating
// is safe.
//
// bgapi carries a Job-UUID the client generates and registers before
// writing (defect 5: registering after the reply misses most results).
// Jobs outlive reconnects, because FreeSWITCH broadcasts BACKGROUND_JOB to
// every subscribed connection. Values put on command lines are whitelisted
// (ErrUnsafe); originate strings come only from Originate, never from
// eslgo's builders (defect 14).
//
// # Events
//
// Only what Config.Events names is subscribed, and Config.Filters are
// sent before the subscription on every connection (FreeSWITCH keeps both
// per connection), so that FreeSWITCH itself drops what the consumer
// never reads; under any filter the client adds Event-Name filters for
// BACKGROUND_JOB and HEARTBEAT, which it depends on.
//
// eslgo runs each event's listener on a goroutine of its own (defects 1
// and 2). So once a connection is subscribed, events never reach eslgo:
// the guard hands each plain event's text to the client's listener on its
// own goroutine, in wire order, which decodes it into one copy of the text
// and an index of its headers (a few allocations per event, however many
// headers); eslgo only carries commands and their replies. The listener
// never blocks: it appends to one bounded queue, read with Next, whose
// backlog is exposed (Backlog, Stats, an optional Prometheus gauge). On overflow the client drops the connection
// and counts what it loses, and reconnects once the consumer has drained
// half the queue (see Client for why that is safe). Connection markers
// (KindConnected, KindDisconnected) travel in the same stream; a
// connection's events never come before its KindConnected, which is queued
// once the subscription is in place. Every KindConnected asks the consumer
// to reconcile its open attempts with show channels as json and
// uuid_exists, since bgapi-originated calls survive a lost socket.
//
// FreeSWITCH itself may send events slightly out of Event-Sequence order
// (it dispatches from several threads). Call merges a channel's events (and
// its BACKGROUND_JOB) so that the record is the same in any order;
// Event.Seq carries Event-Sequence.
//
// # Liveness
//
// A connection is dead when the guard reports a read error, end of stream
// or disconnect notice, when no frame arrived for Config.HeartbeatTimeout
// (FreeSWITCH sends HEARTBEAT every 20 s), or when the periodic "api status"
// probe gets no reply within Config.ProbeTimeout (which also catches a
// reader that stopped without closing the socket). Run then reconnects with
// capped exponential backoff and jitter, sends the filters and the
// subscription again, and emits KindConnected. The client never sends "log".
package esl
