package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/clocktest"
	"github.com/fsdialer/dialer/dialer/memberfile"
	"github.com/fsdialer/dialer/dialer/webhook"
	"github.com/fsdialer/dialer/store"
)

// env is a store on the test's clock.
type env struct {
	t   *testing.T
	ctx context.Context
	db  *store.DB
	clk *clocktest.Clock
}

func newEnv(t *testing.T) *env {
	t.Helper()
	clk := clocktest.New(time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC))
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "hooks.db"), store.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &env{t: t, ctx: ctx, db: db, clk: clk}
}

// campaign applies a campaign whose callbacks go to url, with n members.
func (e *env) campaign(name, url string, n int) []dialer.Member {
	e.t.Helper()
	doc := fmt.Sprintf(`
name: %s
mode: ivr
dial: {template: "loopback/{number}/dialer_lab"}
ivr: {extension: survey, context: dialer_ivr}
callback_url: %s
calendar: {timezone: UTC, weekly: {mon: ["00:00-24:00"]}}
`, name, url)
	c, err := dialer.ReadCampaign(strings.NewReader(doc), name+".yaml")
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.db.ApplyCampaign(e.ctx, c); err != nil {
		e.t.Fatal(err)
	}
	stored, err := e.db.Campaign(e.ctx, name)
	if err != nil {
		e.t.Fatal(err)
	}
	imp, err := e.db.BeginImport(e.ctx, stored.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	var batch []memberfile.Member
	for i := range n {
		batch = append(batch, memberfile.Member{Line: i + 2, Name: fmt.Sprintf("%s-%d", name, i), Priority: 3,
			ExternalKey: fmt.Sprintf("%s-%d", name, i),
			Numbers:     []memberfile.Number{{Number: fmt.Sprintf("+1212555%04d", 100+i), Type: "mobile", Position: 1}}})
	}
	if bad, err := imp.Add(e.ctx, batch); err != nil || len(bad) > 0 {
		e.t.Fatalf("import: %v %v", bad, err)
	}
	if _, _, err := imp.Commit(e.ctx); err != nil {
		e.t.Fatal(err)
	}
	ms, err := e.db.Members(e.ctx, store.MemberFilter{CampaignID: stored.ID})
	if err != nil {
		e.t.Fatal(err)
	}
	ids := make([]int64, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	full, err := e.db.MembersByID(e.ctx, ids)
	if err != nil {
		e.t.Fatal(err)
	}
	return full
}

// call records an attempt of m that ends now, answered or not: its
// callbacks are in the outbox. An unanswered member waits to be called
// again, so that no failure notice joins the attempt's events.
func (e *env) call(m dialer.Member, uuid string, answered bool) {
	e.t.Helper()
	now := e.clk.Now()
	ids, err := e.db.StartAttempts(e.ctx, []dialer.NewAttempt{{CampaignID: m.CampaignID, MemberID: m.ID,
		CommunicationID: m.Communications[0].ID, Number: m.Communications[0].Number, UUID: uuid, At: now}})
	if err != nil || ids[0] == 0 {
		e.t.Fatalf("start attempt %s: %v %v", uuid, ids, err)
	}
	end := dialer.AttemptEnd{AttemptID: ids[0], Cause: "NO_ANSWER", Q850: 19, EndedAt: now, Class: "retry", Counted: true,
		MemberID: m.ID, MemberState: dialer.MemberWaiting, DueAt: now, Attempts: 1}
	if answered {
		if err := e.db.MarkAnswered(e.ctx, ids[0], now); err != nil {
			e.t.Fatal(err)
		}
		end.Cause, end.Q850, end.AnsweredAt, end.Billsec, end.Class = "NORMAL_CLEARING", 16, now, 3*time.Second, "ok"
		end.MemberState, end.EndCause = dialer.MemberDone, ""
	}
	if err := e.db.FinishAttempts(e.ctx, []dialer.AttemptEnd{end}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) callbacks() []dialer.Callback {
	e.t.Helper()
	cbs, err := e.db.Callbacks(e.ctx, store.CallbackFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	return cbs
}

func (e *env) callback(key string) dialer.Callback {
	e.t.Helper()
	for _, c := range e.callbacks() {
		if c.IdempotencyKey == key {
			return c
		}
	}
	e.t.Fatalf("no callback %s", key)
	return dialer.Callback{}
}

// observer counts what the Deliverer reports.
type observer struct {
	mu     sync.Mutex
	tries  map[webhook.Result]int
	outbox dialer.CallbackCounts
}

func (o *observer) CallbackTried(r webhook.Result) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.tries == nil {
		o.tries = map[webhook.Result]int{}
	}
	o.tries[r]++
}

func (o *observer) CallbackOutbox(c dialer.CallbackCounts) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.outbox = c
}

func (o *observer) count(r webhook.Result) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.tries[r]
}

func (o *observer) depth() dialer.CallbackCounts {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.outbox
}

// hit is one request a receiver got, and its answer.
type hit struct {
	key, event, contentType, userAgent string
	body                               map[string]any
	status                             int
}

// receiver answers status(n) to its n-th request (from 1) and keeps
// every request.
type receiver struct {
	mu     sync.Mutex
	hits   []hit
	status func(n int) int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	h := hit{key: r.Header.Get("Idempotency-Key"), event: r.Header.Get("X-Dialer-Event"),
		contentType: r.Header.Get("Content-Type"), userAgent: r.Header.Get("User-Agent")}
	json.Unmarshal(raw, &h.body)
	rc.mu.Lock()
	h.status = rc.status(len(rc.hits) + 1)
	rc.hits = append(rc.hits, h)
	rc.mu.Unlock()
	w.WriteHeader(h.status)
	fmt.Fprintln(w, http.StatusText(h.status))
}

func (rc *receiver) all() []hit {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]hit(nil), rc.hits...)
}

// failFirst answers 503 to the first n requests, then 200.
func failFirst(n int) func(int) int {
	return func(i int) int {
		if i <= n {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	}
}

// start runs d until the test ends (or the returned stop is called) and
// checks that Run returns nil promptly once stopped.
func start(t *testing.T, d *webhook.Deliverer) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run = %v", err)
				}
			case <-time.After(3 * time.Second):
				t.Errorf("Run did not return within 3s of its context ending")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestDelay_DoublesUpToTheCap(t *testing.T) {
	base, limit := time.Second, 5*time.Minute
	tests := []struct {
		n        int
		min, max time.Duration // jitter 0 and jitter just under 1
	}{
		{1, 500 * time.Millisecond, time.Second},
		{2, time.Second, 2 * time.Second},
		{3, 2 * time.Second, 4 * time.Second},
		{9, 128 * time.Second, 256 * time.Second},
		{10, 150 * time.Second, 5 * time.Minute},
		{64, 150 * time.Second, 5 * time.Minute},
		{1000, 150 * time.Second, 5 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.n), func(t *testing.T) {
			if got := webhook.Delay(tt.n, base, limit, 0); got != tt.min {
				t.Errorf("Delay(%d, jitter 0) = %s, want %s", tt.n, got, tt.min)
			}
			got := webhook.Delay(tt.n, base, limit, 0.999999)
			if got < tt.max-time.Millisecond || got >= tt.max {
				t.Errorf("Delay(%d, jitter ~1) = %s, want just under %s", tt.n, got, tt.max)
			}
		})
	}
	// Until the cap (256 s after try 9), the shortest wait after a try is
	// at least the longest after the try before: waits never shrink.
	for n := 2; n <= 9; n++ {
		if webhook.Delay(n, base, limit, 0) < webhook.Delay(n-1, base, limit, 0.999999) {
			t.Fatalf("the shortest wait after try %d is shorter than the longest after try %d", n, n-1)
		}
	}
}

// A receiver that fails three times gets the callback on the fourth try;
// each wait is the backoff of its try, and they grow.
func TestDeliverer_BackoffGrowsUntilDelivered(t *testing.T) {
	e := newEnv(t)
	rc := &receiver{status: failFirst(3)}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	m := e.campaign("hooks", srv.URL+"/events", 1)[0]
	e.call(m, "uuid-1", false)
	obs := &observer{}
	d := webhook.New(e.db, webhook.Options{Now: e.clk.Now, Poll: 5 * time.Millisecond, Jitter: func() float64 { return 0.5 },
		UserAgent: "fsdialer/test", Observer: obs})
	start(t, d)

	var lastGap time.Duration
	for try := 1; try <= 3; try++ {
		waitFor(t, fmt.Sprintf("failed try %d recorded", try), func() bool { return e.callback("uuid-1:release").Tries == try })
		cb := e.callback("uuid-1:release")
		gap := cb.NextAt.Sub(e.clk.Now())
		if want := webhook.Delay(try, time.Second, 5*time.Minute, 0.5); gap != want {
			t.Errorf("wait after try %d = %s, want %s", try, gap, want)
		}
		if gap <= lastGap {
			t.Errorf("wait after try %d = %s, not longer than %s", try, gap, lastGap)
		}
		if cb.State != dialer.CallbackPending || cb.LastStatus != 503 || cb.LastError != "HTTP 503: Service Unavailable" {
			t.Errorf("after try %d: %+v", try, cb)
		}
		lastGap = gap
		// Nothing is sent again before the wait is over.
		time.Sleep(30 * time.Millisecond)
		if n := len(rc.all()); n != try {
			t.Fatalf("%d requests during the wait after try %d", n, try)
		}
		e.clk.Advance(gap)
	}
	waitFor(t, "delivery", func() bool { return e.callback("uuid-1:release").State == dialer.CallbackDelivered })
	cb := e.callback("uuid-1:release")
	if cb.Tries != 4 || cb.LastStatus != 200 || cb.LastError != "" || !cb.DeliveredAt.Equal(e.clk.Now()) {
		t.Errorf("delivered callback = %+v", cb)
	}
	hits := rc.all()
	if len(hits) != 4 {
		t.Fatalf("%d requests, want 4", len(hits))
	}
	var want map[string]any
	json.Unmarshal(cb.Payload, &want)
	for i, h := range hits {
		if h.key != "uuid-1:release" || h.event != "release" || h.contentType != "application/json" ||
			h.userAgent != "fsdialer/test" || fmt.Sprint(h.body) != fmt.Sprint(want) {
			t.Errorf("request %d = %+v, want the stored payload %v", i+1, h, want)
		}
	}
	if obs.count(webhook.Failed) != 3 || obs.count(webhook.Delivered) != 1 || obs.count(webhook.Dead) != 0 {
		t.Errorf("observed %v", obs.tries)
	}
}

// Every event arrives, through failures, and an attempt's release is never
// sent before its connect was delivered.
func TestDeliverer_EveryEventArrivesConnectFirst(t *testing.T) {
	e := newEnv(t)
	rc := &receiver{status: func(n int) int {
		if n <= 5 {
			return http.StatusInternalServerError
		}
		return http.StatusNoContent
	}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	want := map[string]bool{}
	for i, m := range e.campaign("hooks", srv.URL, 6) {
		uuid := fmt.Sprintf("uuid-%d", i)
		e.call(m, uuid, i%2 == 0)
		want[uuid+":release"] = true
		if i%2 == 0 {
			want[uuid+":connect"] = true
		}
	}
	obs := &observer{}
	d := webhook.New(e.db, webhook.Options{Now: e.clk.Now, Poll: 5 * time.Millisecond, Jitter: func() float64 { return 0 },
		Observer: obs})
	start(t, d)
	waitFor(t, "every event delivered", func() bool {
		e.clk.Advance(time.Minute) // past any backoff these few failures reach
		for _, c := range e.callbacks() {
			if c.State != dialer.CallbackDelivered {
				return false
			}
		}
		return true
	})
	delivered := map[string]int{} // key -> index of its 2xx
	for i, h := range rc.all() {
		if !want[h.key] {
			t.Fatalf("request %d has unexpected key %q", i, h.key)
		}
		if h.body["idempotency_key"] != h.key || h.body["event"] != h.event {
			t.Errorf("request %d: headers %s/%s, body %v", i, h.key, h.event, h.body)
		}
		if uuid, ev, _ := strings.Cut(h.key, ":"); ev == "release" && want[uuid+":connect"] {
			if _, ok := delivered[uuid+":connect"]; !ok {
				t.Errorf("release of %s sent (request %d) before its connect was delivered", uuid, i)
			}
		}
		if h.status == http.StatusNoContent {
			if _, dup := delivered[h.key]; dup {
				t.Errorf("%s delivered twice", h.key)
			}
			delivered[h.key] = i
		}
	}
	if len(delivered) != len(want) {
		t.Errorf("delivered %v, want %v", delivered, want)
	}
	if got := len(rc.all()); got != len(want)+5 {
		t.Errorf("%d requests, want %d events + 5 failures", got, len(want))
	}
	if obs.count(webhook.Failed) != 5 || obs.count(webhook.Delivered) != len(want) {
		t.Errorf("observed %v", obs.tries)
	}
}

// A receiver that never answers holds one worker until the timeout, which
// counts as a failed try; the other workers go on delivering. A try cut
// short by shutdown is not counted.
func TestDeliverer_SlowReceiver(t *testing.T) {
	e := newEnv(t)
	started := make(chan struct{}, 10)
	var slowMu sync.Mutex
	slowDone := 0
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // after the body, the server notices the client leave
		started <- struct{}{}
		<-r.Context().Done() // the client gives up first
		slowMu.Lock()
		slowDone++
		slowMu.Unlock()
	}))
	defer slow.Close()
	fast := &receiver{status: func(int) int { return http.StatusOK }}
	fastSrv := httptest.NewServer(fast)
	defer fastSrv.Close()
	// The slow campaign's callback is recorded first: it is due first.
	e.call(e.campaign("slow", slow.URL, 1)[0], "uuid-slow", false)
	for i, m := range e.campaign("fast", fastSrv.URL, 6) {
		e.call(m, fmt.Sprintf("uuid-fast-%d", i), false)
	}
	const timeout = 2 * time.Second
	obs := &observer{}
	d := webhook.New(e.db, webhook.Options{Now: e.clk.Now, Poll: 5 * time.Millisecond, Workers: 2, Timeout: timeout,
		Jitter: func() float64 { return 0 }, Observer: obs})
	// Taken before the Deliverer starts: the try's timeout can only begin
	// after it.
	tried := time.Now()
	stop := start(t, d)
	<-started
	waitFor(t, "the fast receiver's six callbacks", func() bool { return len(fast.all()) == 6 })
	slowMu.Lock()
	n := slowDone
	slowMu.Unlock()
	if n != 0 || e.callback("uuid-slow:release").Tries != 0 {
		t.Fatalf("the fast deliveries waited for the slow receiver (%s)", time.Since(tried))
	}
	waitFor(t, "the slow try to time out", func() bool { return e.callback("uuid-slow:release").Tries == 1 })
	if took := time.Since(tried); took < timeout {
		t.Errorf("the slow try ended after %s, before its timeout %s", took, timeout)
	}
	cb := e.callback("uuid-slow:release")
	if cb.State != dialer.CallbackPending || cb.LastStatus != 0 || cb.LastError != "no answer within 2s" {
		t.Errorf("timed out callback = %+v", cb)
	}
	if obs.count(webhook.Failed) != 1 || obs.count(webhook.Delivered) != 6 {
		t.Errorf("observed %v", obs.tries)
	}
	// Its next try is cut short by shutdown: Run returns at once and the
	// try is not counted.
	e.clk.Advance(time.Minute)
	<-started
	stopped := time.Now()
	stop()
	if took := time.Since(stopped); took > time.Second {
		t.Errorf("Run took %s to stop during a slow try", took)
	}
	if cb := e.callback("uuid-slow:release"); cb.Tries != 1 || cb.State != dialer.CallbackPending {
		t.Errorf("after shutdown during a try: %+v, want still 1 try, pending", cb)
	}
}

// A callback no receiver takes is dead after MaxTries and is not tried
// again; a redrive sends it again, and it is purged Retain after its
// delivery.
func TestDeliverer_DeadAfterMaxTriesThenRedrive(t *testing.T) {
	e := newEnv(t)
	var mu sync.Mutex
	up := false
	rc := &receiver{status: func(int) int {
		mu.Lock()
		defer mu.Unlock()
		if up {
			return http.StatusAccepted
		}
		return http.StatusBadGateway
	}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	e.call(e.campaign("hooks", srv.URL, 1)[0], "uuid-d", false)
	obs := &observer{}
	d := webhook.New(e.db, webhook.Options{Now: e.clk.Now, Poll: 5 * time.Millisecond, MaxTries: 3, Observer: obs})
	start(t, d)
	waitFor(t, "the callback to go dead", func() bool {
		e.clk.Advance(time.Minute)
		return e.callback("uuid-d:release").State == dialer.CallbackDead
	})
	if cb := e.callback("uuid-d:release"); cb.Tries != 3 || cb.LastStatus != 502 {
		t.Errorf("dead callback = %+v", cb)
	}
	e.clk.Advance(time.Hour)
	time.Sleep(50 * time.Millisecond)
	if n := len(rc.all()); n != 3 {
		t.Fatalf("%d requests, want 3 (no try after dead)", n)
	}
	if obs.count(webhook.Failed) != 2 || obs.count(webhook.Dead) != 1 {
		t.Errorf("observed %v", obs.tries)
	}
	waitFor(t, "the outbox depth to show the dead callback", func() bool { return obs.depth() == dialer.CallbackCounts{Dead: 1} })

	mu.Lock()
	up = true
	mu.Unlock()
	if n, err := e.db.RedriveCallbacks(e.ctx, "", nil); err != nil || n != 1 {
		t.Fatalf("redrive = %d, %v", n, err)
	}
	waitFor(t, "the redriven callback delivered", func() bool {
		return e.callback("uuid-d:release").State == dialer.CallbackDelivered
	})
	if cb := e.callback("uuid-d:release"); cb.Tries != 1 || cb.LastStatus != 202 {
		t.Errorf("redriven callback = %+v", cb)
	}
	if obs.count(webhook.Delivered) != 1 || len(rc.all()) != 4 {
		t.Errorf("observed %v after %d requests", obs.tries, len(rc.all()))
	}
	waitFor(t, "the outbox depth to be empty", func() bool { return obs.depth() == dialer.CallbackCounts{} })
	// Delivered callbacks go once they are older than Retain.
	e.clk.Advance(webhook.DefaultRetain + time.Hour)
	waitFor(t, "the delivered callback purged", func() bool { return len(e.callbacks()) == 0 })
}
