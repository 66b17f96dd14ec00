package switchtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// EnvSwitch names the user's own FreeSWITCH: "host:port[,password]". It
// must have the project's freeswitch-conf/dialplan files loaded.
const EnvSwitch = "DIALER_TEST_FREESWITCH"

// labSwitch is the process's real switch: one fs-lab started, or the
// user's own.
type labSwitch struct {
	addr, password string
	// dir and script are set when fs-lab started it; args are its start
	// arguments, for a restart.
	dir, script string
	args        []string
}

// Real returns the real switch for tb, starting it with fs-lab on first
// use in this test binary. tb is skipped, with the reason, when there is
// none: no DIALER_TEST_FREESWITCH and no ../shared/freeswitch/fs-lab
// beside the repository. A switch that is there but does not start fails
// tb. Each call gets its own recorder of the switch's channel events, and
// every channel is hung up when tb ends.
func Real(tb testing.TB) *RealBackend {
	tb.Helper()
	if testing.Short() {
		tb.Skip("real FreeSWITCH: skipped in -short mode")
	}
	sw, err := sharedLab()
	if err != nil {
		tb.Fatalf("real FreeSWITCH: %v", err)
	}
	if sw == nil {
		tb.Skip(labSkip)
	}
	b := &RealBackend{sw: sw, proxy: newProxy(tb, sw.addr)}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.hangupAll(ctx); err != nil {
		tb.Fatalf("real FreeSWITCH at %s: %v", sw.addr, err)
	}
	rec, err := newRecorder(ctx, sw.addr, sw.password)
	if err != nil {
		tb.Fatalf("real FreeSWITCH at %s: record events: %v", sw.addr, err)
	}
	b.rec = rec
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := b.hangupAll(ctx); err != nil {
			tb.Errorf("hang up the test's calls: %v", err)
		}
		b.rec.close()
	})
	return b
}

// RealBackend is a real FreeSWITCH as a Backend.
type RealBackend struct {
	sw    *labSwitch
	proxy *proxy
	rec   *recorder
}

// Name implements Backend.
func (*RealBackend) Name() string { return "freeswitch" }

// Addr implements Backend: a relay to the switch that DropConnections
// can cut.
func (b *RealBackend) Addr() string { return b.proxy.addr() }

// DropConnections implements Backend: every connection made through Addr
// is cut at once.
func (b *RealBackend) DropConnections() { b.proxy.drop() }

// Password implements Backend.
func (b *RealBackend) Password() string { return b.sw.password }

// Now implements Backend.
func (*RealBackend) Now() time.Time { return time.Now() }

// Speed implements Backend.
func (*RealBackend) Speed() float64 { return 1 }

// Real implements Backend.
func (*RealBackend) Real() bool { return true }

// Channels implements Backend.
func (b *RealBackend) Channels() []Channel { return b.rec.channels() }

// Restart implements Backend: SIGKILL the switch and start it again in
// the same directory. Only an fs-lab switch can be restarted.
func (b *RealBackend) Restart(ctx context.Context) error {
	if b.sw.dir == "" {
		return errors.New("restart: the switch named by " + EnvSwitch + " is not ours to restart")
	}
	if err := b.sw.kill(); err != nil {
		return err
	}
	if err := b.sw.start(ctx); err != nil {
		return err
	}
	b.rec.markRestart()
	return b.rec.reconnect(ctx)
}

// hangupAll hangs up every channel and waits until none is left.
func (b *RealBackend) hangupAll(ctx context.Context) error {
	if _, err := apiAt(ctx, b.sw.addr, b.sw.password, "hupall MANAGER_REQUEST"); err != nil {
		return err
	}
	for {
		out, err := apiAt(ctx, b.sw.addr, b.sw.password, "show channels count")
		if err != nil {
			return err
		}
		if strings.HasPrefix(strings.TrimSpace(out), "0 total") {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("channels still up after hupall: %s", strings.TrimSpace(out))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// sharedLab returns the process's switch, starting it on first use; nil
// with labSkip set when there is none.
func sharedLab() (*labSwitch, error) {
	labMu.Lock()
	defer labMu.Unlock()
	if lab != nil || labErr != nil || labSkip != "" {
		return lab, labErr
	}
	if spec := os.Getenv(EnvSwitch); spec != "" {
		addr, pw, _ := strings.Cut(spec, ",")
		if pw == "" {
			pw = "ClueCon"
		}
		lab = &labSwitch{addr: addr, password: pw}
		return lab, nil
	}
	script, err := findLab()
	if err != nil {
		labSkip = "real FreeSWITCH: " + err.Error() + "; set " + EnvSwitch + "=host:port[,password] to use your own"
		return nil, nil
	}
	sw, err := startLab(script)
	if err != nil {
		labErr = err
		return nil, err
	}
	lab = sw
	return lab, nil
}

// findLab finds ../shared/freeswitch/fs-lab beside the repository holding
// the working directory (DIALER_FS_LAB overrides it).
func findLab() (string, error) {
	if p := os.Getenv("DIALER_FS_LAB"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("DIALER_FS_LAB: %w", err)
		}
		return p, nil
	}
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	p := filepath.Join(filepath.Dir(root), "shared", "freeswitch", "fs-lab")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("no fs-lab at %s", p)
	}
	return p, nil
}

// repoRoot is the directory of go.mod above the working directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// Dialplans are the project's dialplan files, which every real switch
// under test runs.
func Dialplans() ([]string, error) {
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	return filepath.Glob(filepath.Join(root, "freeswitch-conf", "dialplan", "*.xml"))
}

// startLab starts fs-lab in a directory of its own, on free ports.
func startLab(script string) (*labSwitch, error) {
	plans, err := Dialplans()
	if err != nil || len(plans) == 0 {
		return nil, fmt.Errorf("no freeswitch-conf/dialplan/*.xml: %v", err)
	}
	dir, err := os.MkdirTemp("", "dialer-fs-")
	if err != nil {
		return nil, err
	}
	esl, err := freePort(false)
	if err != nil {
		return nil, err
	}
	sip, err := freeSIPPair()
	if err != nil {
		return nil, err
	}
	// RTP ports: a block of 1000 picked from the SIP port, so that
	// switches started by test binaries running side by side differ.
	rtp := 20000 + (sip%40)*1000
	args := []string{"--esl-port", strconv.Itoa(esl), "--sip-port", strconv.Itoa(sip),
		"--rtp", fmt.Sprintf("%d-%d", rtp, rtp+999)}
	for _, p := range plans {
		args = append(args, "--dialplan", p)
	}
	sw := &labSwitch{addr: "127.0.0.1:" + strconv.Itoa(esl), password: "ClueCon",
		dir: dir, script: script, args: args}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := sw.start(ctx); err != nil {
		return nil, err
	}
	return sw, nil
}

func (sw *labSwitch) start(ctx context.Context) error {
	cmd := exec.CommandContext(ctx, sw.script, append([]string{"start", sw.dir}, sw.args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("fs-lab start %s: %v\n%s", sw.dir, err, out)
	}
	return nil
}

// kill SIGKILLs the switch, as a crash would.
func (sw *labSwitch) kill() error {
	b, err := os.ReadFile(filepath.Join(sw.dir, "run", "freeswitch.pid"))
	if err != nil {
		return fmt.Errorf("kill: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return fmt.Errorf("kill: pid file: %w", err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill %d: %w", pid, err)
	}
	for range 100 {
		if syscall.Kill(pid, 0) != nil {
			return os.Remove(filepath.Join(sw.dir, "run", "freeswitch.pid"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("kill %d: still running", pid)
}

func (sw *labSwitch) stop() error {
	if sw.dir == "" {
		return nil
	}
	out, err := exec.Command(sw.script, "stop", sw.dir).CombinedOutput()
	if err != nil {
		return fmt.Errorf("fs-lab stop: %v: %s", err, out)
	}
	return os.RemoveAll(sw.dir)
}

func freePort(udp bool) (int, error) {
	if udp {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port, nil
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// freeSIPPair finds a port p with p and p+1 free for TCP and UDP.
func freeSIPPair() (int, error) {
	for range 50 {
		p, err := freePort(true)
		if err != nil {
			return 0, err
		}
		if p%2 == 1 || p > 65000 {
			continue
		}
		ok := true
		for _, q := range []int{p, p + 1} {
			for _, network := range []string{"tcp", "udp"} {
				addr := "127.0.0.1:" + strconv.Itoa(q)
				if network == "tcp" {
					l, err := net.Listen(network, addr)
					if err != nil {
						ok = false
						continue
					}
					l.Close()
				} else {
					c, err := net.ListenPacket(network, addr)
					if err != nil {
						ok = false
						continue
					}
					c.Close()
				}
			}
		}
		if ok {
			return p, nil
		}
	}
	return 0, errors.New("no free pair of SIP ports")
}
