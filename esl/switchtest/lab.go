package switchtest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/fsdialer/dialer/esl/fssim"
)

// Lab starts a real FreeSWITCH of tb's own with fs-lab (not the shared
// one), on free ports, for a test that needs a second switch or stops
// one: it is stopped and its directory removed when tb ends. tb is
// skipped, saying why, when fs-lab is not there; a user's own switch
// (DIALER_TEST_FREESWITCH) cannot be started twice, so it is skipped then
// too.
func Lab(tb testing.TB) *RealBackend {
	tb.Helper()
	if testing.Short() {
		tb.Skip("real FreeSWITCH: skipped in -short mode")
	}
	if os.Getenv(EnvSwitch) != "" {
		tb.Skip("a second real FreeSWITCH needs fs-lab: " + EnvSwitch + " names only one switch")
	}
	script, err := findLab()
	if err != nil {
		tb.Skip("real FreeSWITCH: " + err.Error())
	}
	sw, err := startLab(script)
	if err != nil {
		tb.Fatalf("start a second FreeSWITCH: %v", err)
	}
	tb.Cleanup(func() {
		if err := sw.stop(); err != nil {
			// A switch the test killed has nothing left to stop.
			os.RemoveAll(sw.dir)
		}
	})
	b := &RealBackend{sw: sw, proxy: newProxy(tb, sw.addr)}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rec, err := newRecorder(ctx, sw.addr, sw.password)
	if err != nil {
		tb.Fatalf("second FreeSWITCH at %s: record events: %v", sw.addr, err)
	}
	b.rec = rec
	tb.Cleanup(b.rec.close)
	return b
}

// Kill SIGKILLs the switch, as a crash would: its calls vanish and every
// connection drops. Only a switch fs-lab started can be killed.
func (b *RealBackend) Kill() error {
	if b.sw.dir == "" {
		return os.ErrPermission
	}
	return b.sw.kill()
}

// EachPair runs f on two switches, once as two simulators (started with
// o) and once as two real ones (the shared switch and one of the test's
// own, see Lab), as subtests named after the backend. kill stops b as a
// crash would: the simulator closes, the real switch is SIGKILLed.
func EachPair(t *testing.T, o fssim.Options, f func(t *testing.T, a, b Backend, kill func() error)) {
	t.Helper()
	t.Run("simulator", func(t *testing.T) {
		a, b := Sim(t, o), Sim(t, o)
		f(t, a, b, b.Server.Close)
	})
	t.Run("freeswitch", func(t *testing.T) {
		a := Real(t)
		b := Lab(t)
		f(t, a, b, b.Kill)
	})
}
