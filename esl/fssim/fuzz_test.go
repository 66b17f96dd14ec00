package fssim_test

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/esl/fssim"
)

func FuzzParseScenario(f *testing.F) {
	f.Add([]byte(labScenario))
	f.Add([]byte(ivrScenario))
	f.Add([]byte("rules:\n  - {glob: x, mix: [{weight: 1, ring: 1s}]}\n"))
	f.Add([]byte("fallback: {answer: true, talk: 1s}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := fssim.ParseScenario(data)
		if err == nil && sc.Validate() != nil {
			t.Fatalf("parsed scenario does not validate")
		}
	})
}

// FuzzServer_Command sends arbitrary command bytes after auth and checks
// that the server either keeps answering or closes the connection, and
// never dies.
func FuzzServer_Command(f *testing.F) {
	for _, seed := range []string{
		"api status", "bgapi originate {a=1}sofia/gateway/gw/15550000 &park()",
		"event plain ALL CUSTOM a::b", "filter Unique-ID /[/", "nixevent CUSTOM x", "sendmsg\ncall-command: hangup",
		"api originate [x=1|y]sofia/gateway/gw/1 &park()", "api uuid_bridge a", "myevents x json",
		"api hupall NONE a", "\r\n\r\napi show channels as json\r\n", "api originate {a='x}y'}loopback/1/ctx 1 2 3 4 5 6",
	} {
		f.Add(seed)
	}
	srv := fssim.New(fssim.Options{Speed: 1000, HeartbeatInterval: -1})
	if err := srv.Start(f.Context(), "127.0.0.1:0"); err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = srv.Close() })
	f.Fuzz(func(t *testing.T, cmd string) {
		if strings.Contains(strings.ToLower(cmd), "ontent-length") || strings.Contains(cmd, "\x00") {
			t.Skip()
		}
		nc, err := net.Dial("tcp", srv.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		_ = nc.SetDeadline(time.Now().Add(5 * time.Second))
		_, _ = nc.Write([]byte("auth ClueCon\n\n" + cmd + "\n\napi uuid_exists fuzz-probe\n\n"))
		r := bufio.NewReader(nc)
		for {
			fr, err := readFrame(r)
			if err != nil {
				if ne, ok := err.(net.Error); ok && ne.Timeout() {
					t.Fatalf("no answer and no close after %q", cmd)
				}
				return
			}
			if fr.contentType() == "api/response" && fr.body == "false" {
				return
			}
		}
	})
}
