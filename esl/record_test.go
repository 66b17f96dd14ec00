package esl_test

import (
	"errors"
	"testing"
	"time"

	"github.com/fsdialer/dialer/esl"
	"github.com/fsdialer/dialer/esl/fssim"
)

func TestClient_Record(t *testing.T) {
	srv := startSim(t, fssim.Options{RecordingsDir: "/srv/rec/"})
	cl := connected(t, testConfig(srv.Addr()))
	ctx := ctxFor(t, 10*time.Second)

	dir, err := cl.RecordingsDir(ctx)
	if err != nil || dir != "/srv/rec" {
		t.Fatalf("RecordingsDir = %q, %v; want /srv/rec", dir, err)
	}
	customer := originate("15551209304", nil)
	originateOK(t, cl, customer)
	if err := cl.Record(ctx, customer.UUID, "survey/2026-12-03/1-abc.wav", true); err != nil {
		t.Fatal(err)
	}
	rec, ok := srv.Call(customer.UUID)
	if !ok || rec.Vars["sim_record"] != "/srv/rec/survey/2026-12-03/1-abc.wav" || rec.Vars["RECORD_STEREO"] != "true" {
		t.Errorf("channel vars sim_record %q RECORD_STEREO %q", rec.Vars["sim_record"], rec.Vars["RECORD_STEREO"])
	}

	for _, path := range []string{
		"", "a b.wav", "../x.wav", "/tmp/./x.wav", "x/../../y.wav", "{RECORD_STEREO=false}x.wav",
		"${recordings_dir}/x.wav", "shout://host/x.mp3", "x.wav|y.wav", "x.wav\nbgapi hupall",
	} {
		if err := cl.Record(ctx, customer.UUID, path, false); !errors.Is(err, esl.ErrUnsafe) {
			t.Errorf("Record(%q) = %v, want ErrUnsafe", path, err)
		}
	}
	if err := cl.Record(ctx, "no such; uuid", "x.wav", false); !errors.Is(err, esl.ErrUnsafe) {
		t.Errorf("Record with a bad uuid = %v, want ErrUnsafe", err)
	}
	if rec, _ := srv.Call(customer.UUID); rec.Vars["RECORD_STEREO"] != "true" {
		t.Errorf("a refused Record changed RECORD_STEREO to %q", rec.Vars["RECORD_STEREO"])
	}
}
