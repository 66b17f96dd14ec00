package fssim_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/esl/fssim"
)

func TestServer_Auth(t *testing.T) {
	srv := start(t, fssim.Options{Password: "secret"})

	t.Run("accepted", func(t *testing.T) {
		c := dial(t, srv.Addr())
		if got, want := c.cmd("auth secret"), "+OK accepted"; got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
		if got := c.api("uuid_exists nope"); got != "false" {
			t.Fatalf("api after auth: %q", got)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		c := dial(t, srv.Addr())
		if got, want := c.cmd("auth nope"), "-ERR invalid"; got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
		frames, err := c.waitEOF(2 * time.Second)
		if err == nil || len(frames) != 1 || frames[0].contentType() != "text/disconnect-notice" {
			t.Fatalf("after bad auth: frames %v err %v", frames, err)
		}
		if !strings.HasPrefix(frames[0].body, "Disconnected, goodbye.") {
			t.Fatalf("notice body %q", frames[0].body)
		}
	})
	t.Run("commands before auth are refused", func(t *testing.T) {
		c := dial(t, srv.Addr())
		for _, cmd := range []string{"api status", "event plain ALL", "bgapi status"} {
			if got, want := c.cmd(cmd), "-ERR command not found"; got != want {
				t.Fatalf("%s: got %q, want %q", cmd, got, want)
			}
		}
		if got := c.cmd("auth secret"); got != "+OK accepted" {
			t.Fatalf("late auth: %q", got)
		}
	})
	t.Run("exit", func(t *testing.T) {
		c := dial(t, srv.Addr())
		if got := c.cmd("exit"); got != "+OK bye" {
			t.Fatalf("exit: %q", got)
		}
		frames, err := c.waitEOF(2 * time.Second)
		if err == nil || len(frames) != 1 || frames[0].contentType() != "text/disconnect-notice" {
			t.Fatalf("after exit: frames %v err %v", frames, err)
		}
	})
}

func TestServer_APIAndBgapi(t *testing.T) {
	srv := start(t, fssim.Options{})
	c := connect(t, srv)
	if got := c.cmd("event plain BACKGROUND_JOB"); got != "+OK event listener enabled plain" {
		t.Fatalf("event: %q", got)
	}
	uuidRE := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

	t.Run("api unknown command", func(t *testing.T) {
		if got, want := c.api("nosuch arg"), "-ERR nosuch Command not found!\n"; got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	})
	t.Run("bgapi server job uuid", func(t *testing.T) {
		c.send("bgapi status")
		f := c.next(2 * time.Second)
		job := f.get("Job-UUID")
		if !uuidRE.MatchString(job) || f.get("Reply-Text") != "+OK Job-UUID: "+job {
			t.Fatalf("reply %v", f.headers)
		}
		e := c.waitEvent(2*time.Second, func(e event) bool { return e.get("Job-UUID") == job })
		if e.get("Job-Command") != "status" || !strings.HasPrefix(e.body, "UP ") {
			t.Fatalf("job event %v body %q", e.headers, e.body)
		}
		if e.has("Job-Command-Arg") {
			t.Fatalf("Job-Command-Arg without argument")
		}
	})
	t.Run("bgapi client job uuid", func(t *testing.T) {
		job := "7f4b3c2a-0000-4000-8000-000000000001"
		c.send("bgapi uuid_exists abc\nJob-UUID: " + job)
		f := c.next(2 * time.Second)
		if f.get("Job-UUID") != job || f.get("Reply-Text") != "+OK Job-UUID: "+job {
			t.Fatalf("reply %v", f.headers)
		}
		e := c.waitEvent(2*time.Second, func(e event) bool { return e.get("Job-UUID") == job })
		if e.get("Job-Command-Arg") != "abc" || e.body != "false" {
			t.Fatalf("job event %v body %q", e.headers, e.body)
		}
	})
}
