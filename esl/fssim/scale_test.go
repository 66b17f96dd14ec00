package fssim_test

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fsdialer/dialer/esl/fssim"
)

// rawDriver pipelines commands on one socket and counts what comes back,
// the way a dialer's ESL connection is used at high rates.
type rawDriver struct {
	nc      net.Conn
	w       *bufio.Writer
	mu      sync.Mutex
	replies int
	jobs    int
	answers int
	hangups int
	gotAll  chan struct{}
	want    int
	done    chan error
}

func newRawDriver(tb testing.TB, addr, events string) *rawDriver {
	tb.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatalf("dial: %v", err)
	}
	tb.Cleanup(func() { _ = nc.Close() })
	d := &rawDriver{nc: nc, w: bufio.NewWriterSize(nc, 256<<10), gotAll: make(chan struct{}), done: make(chan error, 1)}
	r := bufio.NewReaderSize(nc, 256<<10)
	if f, err := readFrame(r); err != nil || f.contentType() != "auth/request" {
		tb.Fatalf("auth/request: %v %v", f.headers, err)
	}
	_, _ = nc.Write([]byte("auth ClueCon\n\nevent plain " + events + "\n\n"))
	for i := 0; i < 2; i++ {
		if f, err := readFrame(r); err != nil || !strings.HasPrefix(f.get("Reply-Text"), "+OK") {
			tb.Fatalf("setup reply: %v %v", f.headers, err)
		}
	}
	go func() {
		for {
			f, err := readFrame(r)
			if err != nil {
				d.done <- err
				return
			}
			d.mu.Lock()
			switch f.contentType() {
			case "command/reply":
				d.replies++
			case "text/event-plain":
				name, _, _ := strings.Cut(strings.TrimPrefix(f.body, "Event-Name: "), "\n")
				switch name {
				case "BACKGROUND_JOB":
					d.jobs++
					if d.jobs == d.want {
						close(d.gotAll)
					}
				case "CHANNEL_ANSWER":
					d.answers++
				case "CHANNEL_HANGUP_COMPLETE":
					d.hangups++
				}
			}
			d.mu.Unlock()
		}
	}()
	return d
}

func (d *rawDriver) originate(i int, dest string) error {
	return d.originateVia(i, "sofia/gateway/gw/"+dest)
}

func (d *rawDriver) originateVia(i int, endpoint string) error {
	_, err := fmt.Fprintf(d.w, "bgapi originate {origination_uuid=%08x-0000-4000-8000-000000000000,dialer_campaign_id=1,dialer_member_id=%d}%s &park()\n\n", i, i, endpoint)
	return err
}

func (d *rawDriver) counts() (replies, jobs, answers, hangups int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.replies, d.jobs, d.answers, d.hangups
}

// scaleScenario answers every call after 1 s and keeps it up.
const scaleScenario = `
rules:
  - glob: "*"
    ring: 1s
    answer: true
    stay: true
`

// TestServer_Scale originates many calls as fast as one pipelined socket
// allows, keeps them all up at once, then hangs them all up.
func TestServer_Scale(t *testing.T) {
	n, minRate := 20000, 2000.0
	if raceEnabled {
		n, minRate = 4000, 300.0
	}
	if testing.Short() {
		n = 2000
	}
	sc, err := fssim.ParseScenario([]byte(scaleScenario))
	if err != nil {
		t.Fatal(err)
	}
	srv := start(t, fssim.Options{Speed: 100, Scenario: sc, HeartbeatInterval: -1})
	d := newRawDriver(t, srv.Addr(), "BACKGROUND_JOB CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE")
	d.want = n

	begin := time.Now()
	for i := 0; i < n; i++ {
		if err := d.originate(i, fmt.Sprintf("155500%05d", i%100000)); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.w.Flush(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-d.gotAll:
	case err := <-d.done:
		t.Fatalf("connection lost: %v", err)
	case <-time.After(120 * time.Second):
		_, jobs, _, _ := d.counts()
		t.Fatalf("only %d of %d originates answered", jobs, n)
	}
	elapsed := time.Since(begin)
	rate := float64(n) / elapsed.Seconds()
	active := srv.ActiveCalls()
	t.Logf("%d originates answered in %v: %.0f originates/s, %d concurrent calls", n, elapsed, rate, active)
	if active != n {
		t.Errorf("concurrent calls %d, want %d", active, n)
	}
	if !testing.Short() && rate < minRate {
		t.Errorf("rate %.0f originates/s, want at least %.0f", rate, minRate)
	}

	hup := time.Now()
	if _, err := d.w.WriteString("bgapi hupall NORMAL_CLEARING dialer_campaign_id 1\n\n"); err != nil {
		t.Fatal(err)
	}
	_ = d.w.Flush()
	waitUntil(t, 60*time.Second, "all hangups", func() bool {
		_, _, _, h := d.counts()
		return h == n
	})
	t.Logf("hupall of %d calls delivered in %v", n, time.Since(hup))
	if srv.ActiveChannels() != 0 || srv.Pending() != 0 {
		t.Errorf("left behind: %d channels, %d timers", srv.ActiveChannels(), srv.Pending())
	}
}

// BenchmarkOriginate measures bgapi originate round trips (command to
// BACKGROUND_JOB) from a raw TCP client subscribed to the events a dialer
// uses. Every call answers at once and hangs up 1 s (1 ms of wall time)
// later, so each round trip also carries the whole call's events.
func BenchmarkOriginate(b *testing.B) {
	for _, bc := range []struct{ name, endpoint string }{
		{"sofia", "sofia/gateway/gw/15550000000"},
		{"loopback", "loopback/15550000000/dialer_lab"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			sc, err := fssim.ParseScenario([]byte("rules:\n  - glob: \"*\"\n    answer: true\n    talk: 1s\n"))
			if err != nil {
				b.Fatal(err)
			}
			srv := start(b, fssim.Options{Speed: 1000, Scenario: sc, HeartbeatInterval: -1})
			d := newRawDriver(b, srv.Addr(), "BACKGROUND_JOB CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE")
			d.want = b.N
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := d.originateVia(i, bc.endpoint); err != nil {
					b.Fatal(err)
				}
			}
			if err := d.w.Flush(); err != nil {
				b.Fatal(err)
			}
			select {
			case <-d.gotAll:
			case err := <-d.done:
				b.Fatalf("connection lost: %v", err)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "originates/s")
		})
	}
}
