// Package webhook delivers the callback events of the store's outbox to
// campaigns' callback URLs. The engine only writes outbox rows (in the
// transaction of the attempt change they report); a Deliverer, in its
// own goroutines, POSTs each due row and records the outcome, so a slow
// or dead receiver never slows dialing.
//
// Delivery is at least once: an event can arrive more than once (a crash
// after the receiver answered, a lost answer), and receivers dedupe by
// its Idempotency-Key. For one attempt, release is not sent before its
// connect was delivered or went dead (a redriven dead connect can arrive
// after its release). Events of different attempts carry no order.
package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/fsdialer/dialer/dialer"
)

// Store is what the Deliverer needs of the outbox.
type Store interface {
	// DueCallbacks returns up to limit pending callbacks due at now,
	// holding back those whose attempt has an earlier event pending.
	DueCallbacks(ctx context.Context, now time.Time, limit int) ([]dialer.Callback, error)
	CallbackDelivered(ctx context.Context, id int64, status int, at time.Time) error
	CallbackFailed(ctx context.Context, id int64, f dialer.CallbackFailure) (dialer.CallbackState, error)
	CallbackCounts(ctx context.Context) (dialer.CallbackCounts, error)
	PurgeCallbacks(ctx context.Context, before time.Time) (int, error)
}

// Doer sends an HTTP request; *http.Client is one.
type Doer interface {
	Do(req *http.Request) (*http.Response, error)
}

// Result is how one delivery try ended.
type Result string

// Try results.
const (
	// Delivered: the receiver answered 2xx.
	Delivered Result = "delivered"
	// Failed: no 2xx answer; the callback is tried again after its backoff.
	Failed Result = "failed"
	// Dead: no 2xx answer at the last allowed try; the callback waits for
	// a redrive.
	Dead Result = "dead"
)

// Observer is told what the Deliverer does, for metrics. Its methods are
// called from the Deliverer's goroutines and must not block.
type Observer interface {
	// CallbackTried: one delivery try ended.
	CallbackTried(result Result)
	// CallbackOutbox: the outbox's depth, read every poll.
	CallbackOutbox(counts dialer.CallbackCounts)
}

// Options configure a Deliverer; zero values take the defaults.
type Options struct {
	// Client sends the requests; the default follows no redirect (a 3xx
	// is a failed try).
	Client Doer
	// Now is the clock of next_at and delivered_at: the store's clock.
	Now func() time.Time
	// Workers is how many deliveries run at once (default 4).
	Workers int
	// Timeout bounds one try, answer and body included (default 10 s).
	Timeout time.Duration
	// MaxTries is the number of tries after which a callback is dead
	// (default 10).
	MaxTries int
	// Backoff is the wait after the first failed try, doubled after each
	// further one (default 1 s), up to MaxBackoff (default 5 min); see
	// Delay.
	Backoff    time.Duration
	MaxBackoff time.Duration
	// Poll is how often the outbox is read when nothing else wakes the
	// Deliverer (default 1 s).
	Poll time.Duration
	// Retain is how long delivered callbacks are kept (default 7 days).
	Retain time.Duration
	// UserAgent is the User-Agent header (default "fsdialer").
	UserAgent string
	// Jitter returns a random number in [0, 1) (default math/rand/v2).
	Jitter   func() float64
	Logger   *slog.Logger
	Observer Observer
}

// Defaults.
const (
	DefaultWorkers    = 4
	DefaultTimeout    = 10 * time.Second
	DefaultMaxTries   = 10
	DefaultBackoff    = time.Second
	DefaultMaxBackoff = 5 * time.Minute
	DefaultPoll       = time.Second
	DefaultRetain     = 7 * 24 * time.Hour
)

// purgeEvery is how often delivered callbacks older than Retain are
// deleted (on the Deliverer's clock).
const purgeEvery = time.Hour

// storeTimeout bounds recording a try's outcome, which goes on after the
// context ended: a delivery the receiver took is recorded, not repeated.
const storeTimeout = 5 * time.Second

// Deliverer delivers the outbox's callbacks.
type Deliverer struct {
	store Store
	o     Options
	log   *slog.Logger
}

// New returns a Deliverer over the store; Run starts it.
func New(store Store, opts Options) *Deliverer {
	if opts.Client == nil {
		opts.Client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Workers <= 0 {
		opts.Workers = DefaultWorkers
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxTries <= 0 {
		opts.MaxTries = DefaultMaxTries
	}
	if opts.Backoff <= 0 {
		opts.Backoff = DefaultBackoff
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = DefaultMaxBackoff
	}
	opts.MaxBackoff = max(opts.MaxBackoff, opts.Backoff)
	if opts.Poll <= 0 {
		opts.Poll = DefaultPoll
	}
	if opts.Retain <= 0 {
		opts.Retain = DefaultRetain
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "fsdialer"
	}
	if opts.Jitter == nil {
		opts.Jitter = rand.Float64
	}
	if opts.Observer == nil {
		opts.Observer = noObserver{}
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Deliverer{store: store, o: opts, log: log}
}

// Delay is how long a callback waits after its n-th failed try (n >= 1):
// a point in the upper half of min(base·2^(n-1), limit) chosen by jitter
// in [0, 1). Until the cap, the shortest wait after a try is the longest
// after the one before, so waits never shrink; spreading them keeps a
// receiver that comes back from being hit by every retry at once.
func Delay(n int, base, limit time.Duration, jitter float64) time.Duration {
	d := limit
	if n < 1 {
		n = 1
	}
	if base <= limit>>(n-1) {
		d = base << (n - 1)
	}
	return d/2 + time.Duration(jitter*float64(d/2))
}

// Run delivers due callbacks until ctx ends, with Workers deliveries at
// most at once. A try cut short by ctx is not counted: the callback stays
// due for the next run.
func (d *Deliverer) Run(ctx context.Context) error {
	jobs := make(chan dialer.Callback)
	// Every job sends one id back, and at most Workers are out: workers
	// never block on done.
	done := make(chan int64, d.o.Workers)
	var wg sync.WaitGroup
	for range d.o.Workers {
		wg.Go(func() {
			for c := range jobs {
				d.deliver(ctx, c)
				done <- c.ID
			}
		})
	}
	defer wg.Wait()
	defer close(jobs)

	ticker := time.NewTicker(d.o.Poll)
	defer ticker.Stop()
	inflight := map[int64]bool{}
	var lastPurge time.Time // the first tick purges: a daemon may never run an hour
	d.observe(ctx)
	for {
		if free := d.o.Workers - len(inflight); free > 0 {
			// In-flight callbacks are still pending in the store: ask for
			// enough to fill the free workers with others.
			due, err := d.store.DueCallbacks(ctx, d.o.Now(), free+len(inflight))
			if err != nil && ctx.Err() == nil {
				d.log.Warn("read due callbacks", "err", err)
			}
			for _, c := range due {
				if inflight[c.ID] || len(inflight) == d.o.Workers {
					continue
				}
				inflight[c.ID] = true
				select {
				case jobs <- c:
				case <-ctx.Done():
					return nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case id := <-done:
			// A finished try may free its attempt's next event: look again.
			delete(inflight, id)
		case <-ticker.C:
			d.observe(ctx)
			if now := d.o.Now(); now.Sub(lastPurge) >= purgeEvery {
				lastPurge = now
				d.purge(ctx, now)
			}
		}
	}
}

// observe reports the outbox's depth.
func (d *Deliverer) observe(ctx context.Context) {
	counts, err := d.store.CallbackCounts(ctx)
	if err != nil {
		if ctx.Err() == nil {
			d.log.Warn("count callbacks", "err", err)
		}
		return
	}
	d.o.Observer.CallbackOutbox(counts)
}

// purge deletes callbacks delivered more than Retain ago.
func (d *Deliverer) purge(ctx context.Context, now time.Time) {
	n, err := d.store.PurgeCallbacks(ctx, now.Add(-d.o.Retain))
	switch {
	case err != nil && ctx.Err() == nil:
		d.log.Warn("purge delivered callbacks", "err", err)
	case n > 0:
		d.log.Info("purged delivered callbacks", "count", n, "delivered_before", now.Add(-d.o.Retain))
	}
}

// deliver makes one try of a callback and records its outcome.
func (d *Deliverer) deliver(ctx context.Context, c dialer.Callback) {
	log := d.log.With("callback_id", c.ID, "campaign_id", c.CampaignID, "attempt_id", c.AttemptID, "event", c.Event)
	status, err := d.post(ctx, c)
	if err != nil && ctx.Err() != nil {
		return
	}
	at := d.o.Now()
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	if err == nil {
		if err := d.store.CallbackDelivered(wctx, c.ID, status, at); err != nil {
			log.Error("record delivered callback: it will be sent again", "err", err)
			return
		}
		d.o.Observer.CallbackTried(Delivered)
		log.Debug("callback delivered", "status", status, "tries", c.Tries+1)
		return
	}
	tries := c.Tries + 1
	next := at.Add(Delay(tries, d.o.Backoff, d.o.MaxBackoff, d.o.Jitter()))
	state, serr := d.store.CallbackFailed(wctx, c.ID, dialer.CallbackFailure{Status: status, Error: err.Error(),
		NextAt: next, MaxTries: d.o.MaxTries})
	if serr != nil {
		log.Error("record failed callback", "err", serr, "try_err", err)
		return
	}
	if state == dialer.CallbackDead {
		d.o.Observer.CallbackTried(Dead)
		log.Error("callback dead: no more tries (dialer webhook redrive sends it again)", "tries", tries, "err", err)
		return
	}
	d.o.Observer.CallbackTried(Failed)
	log.Warn("callback failed: will try again", "tries", tries, "next_at", next, "err", err)
}

// post sends a callback once and returns the HTTP status (0 without an
// answer); an error means no 2xx answer.
func (d *Deliverer) post(ctx context.Context, c dialer.Callback) (int, error) {
	rctx, cancel := context.WithTimeout(ctx, d.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, c.URL, bytes.NewReader(c.Payload))
	if err != nil {
		return 0, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", c.IdempotencyKey)
	req.Header.Set("User-Agent", d.o.UserAgent)
	req.Header.Set("X-Dialer-Event", string(c.Event))
	resp, err := d.o.Client.Do(req)
	if err != nil {
		if ctx.Err() == nil && errors.Is(rctx.Err(), context.DeadlineExceeded) {
			return 0, fmt.Errorf("no answer within %s", d.o.Timeout)
		}
		// The URL is on the row already: keep the cause only.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, err
	}
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	// Read the rest (within the try's deadline) so the connection is reused.
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp.StatusCode, nil
	}
	msg := fmt.Sprintf("HTTP %d", resp.StatusCode)
	if s := strings.Join(strings.Fields(string(head)), " "); s != "" {
		msg += ": " + s
	}
	return resp.StatusCode, errors.New(msg)
}

// noObserver is the Observer when none is configured.
type noObserver struct{}

func (noObserver) CallbackTried(Result)                 {}
func (noObserver) CallbackOutbox(dialer.CallbackCounts) {}
