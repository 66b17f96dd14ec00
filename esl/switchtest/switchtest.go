// Package switchtest gives tests a switch to dial: the FreeSWITCH
// simulator, or a real FreeSWITCH 1.10 started with fs-lab (or named by
// DIALER_TEST_FREESWITCH), behind one Backend, with the channels each saw
// recorded from the switch's own events. A test written once against
// Backend runs on both; Each runs it once per backend.
//
// A package whose tests use the real switch calls Main from its TestMain,
// so that the switch it started is stopped when the tests end.
package switchtest

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fsdialer/dialer/esl/fssim"
)

// Channel is one channel as the switch saw it.
type Channel struct {
	// UUID is the Unique-ID, Name the Channel-Name.
	UUID, Name string
	// Leg is "A" or "B" on loopback channels (the b-leg runs the dialplan
	// and plays the callee), "" otherwise.
	Leg string
	// Destination is the dialed number or extension.
	Destination string
	// BridgedWith is the channel it was last bridged to.
	BridgedWith string
	// Created, Answered, Bridged (the last bridge) and Hangup are on the
	// backend's clock.
	Created, Answered, Bridged, Hangup time.Time
	// Executed are the applications the channel ran (CHANNEL_EXECUTE),
	// in order.
	Executed []Execution
	// Cause is the hangup cause, Billsec variable_billsec, both once the
	// channel is gone.
	Cause   string
	Billsec int
	// Vars are the channel variables the switch reported.
	Vars map[string]string
	// Active is true while the channel exists.
	Active bool
}

// Execution is one application a channel ran.
type Execution struct {
	App, Data string
	At        time.Time
}

// ClockLag bounds how far a real FreeSWITCH's event times
// (Event-Date-Timestamp) trail the system clock: the switch stamps events
// from a time it caches.
const ClockLag = 50 * time.Millisecond

// Backend is a switch under test.
type Backend interface {
	// Name is "simulator" or "freeswitch".
	Name() string
	// Addr and Password reach its event socket.
	Addr() string
	Password() string
	// Now is the switch's clock: scenario time on the simulator, wall
	// time on a real switch. A daemon under test runs on it.
	Now() time.Time
	// Speed is how many seconds of Now pass per wall second.
	Speed() float64
	// Channels is every channel created since the backend was set up,
	// in creation order.
	Channels() []Channel
	// Restart makes the switch go away without a word and come back
	// empty: every channel is lost and every connection drops.
	Restart(ctx context.Context) error
	// DropConnections cuts every event socket connection made to Addr.
	DropConnections()
	// Real reports whether this is a real FreeSWITCH.
	Real() bool
}

// Sim starts a simulator on a TCP port of 127.0.0.1 for tb.
func Sim(tb testing.TB, o fssim.Options) *SimBackend {
	tb.Helper()
	srv := fssim.New(o)
	if err := srv.Start(context.Background(), "127.0.0.1:0"); err != nil {
		tb.Fatalf("start simulator: %v", err)
	}
	tb.Cleanup(func() { srv.Close() })
	speed := o.Speed
	if speed <= 0 {
		speed = 1
	}
	return &SimBackend{Server: srv, speed: speed, password: o.Password}
}

// SimBackend is the simulator as a Backend; Server gives its faults and
// records.
type SimBackend struct {
	*fssim.Server
	speed    float64
	password string
}

// Name implements Backend.
func (*SimBackend) Name() string { return "simulator" }

// Password implements Backend.
func (s *SimBackend) Password() string {
	if s.password == "" {
		return "ClueCon"
	}
	return s.password
}

// Speed implements Backend.
func (s *SimBackend) Speed() float64 { return s.speed }

// Real implements Backend.
func (*SimBackend) Real() bool { return false }

// Restart implements Backend.
func (s *SimBackend) Restart(context.Context) error {
	s.Server.Restart()
	return nil
}

// DropConnections implements Backend.
func (s *SimBackend) DropConnections() { s.Server.DropConnections(false) }

// Channels implements Backend.
func (s *SimBackend) Channels() []Channel {
	calls := s.Calls()
	out := make([]Channel, 0, len(calls))
	for _, c := range calls {
		out = append(out, Channel{
			UUID: c.UUID, Name: c.Name, Leg: c.Leg, Destination: c.Destination,
			BridgedWith: c.BridgedWith, Created: c.Created, Answered: c.Answered,
			Bridged: c.Bridged, Hangup: c.Hangup, Cause: c.Cause, Billsec: c.Billsec,
			Vars: c.Vars, Active: c.Active, Executed: executions(c.Executed),
		})
	}
	return out
}

func executions(xs []fssim.Execution) []Execution {
	var out []Execution
	for _, x := range xs {
		out = append(out, Execution{App: x.App, Data: x.Data, At: x.At})
	}
	return out
}

// Each runs f once on the simulator (started with o) and once on the
// real switch, as subtests named after the backend. The real run is
// skipped, saying why, when no real switch is available.
func Each(t *testing.T, o fssim.Options, f func(t *testing.T, b Backend)) {
	t.Helper()
	t.Run("simulator", func(t *testing.T) { f(t, Sim(t, o)) })
	t.Run("freeswitch", func(t *testing.T) { f(t, Real(t)) })
}

// Customers returns the a-legs of the originated calls: on loopback the
// channel the dialer sees, elsewhere the only one.
func Customers(chs []Channel) []Channel {
	return slices.DeleteFunc(slices.Clone(chs), func(c Channel) bool { return c.Leg == "B" })
}

// Main runs the package's tests and then stops the real switch if one was
// started: call it from TestMain as os.Exit(switchtest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	labMu.Lock()
	defer labMu.Unlock()
	if lab != nil {
		if err := lab.stop(); err != nil {
			fmt.Fprintf(os.Stderr, "switchtest: stop FreeSWITCH: %v\n", err)
		}
	}
	return code
}

var (
	labMu   sync.Mutex
	lab     *labSwitch
	labErr  error
	labSkip string
)
