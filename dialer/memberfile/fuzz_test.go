package memberfile_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/fsdialer/dialer/dialer/memberfile"
)

// FuzzDecodeCSV decodes arbitrary files with a fixed mapping: Decode must not
// panic, every emitted member must be valid, and every row must be either
// emitted or rejected. Seeds are in testdata/fuzz/FuzzDecodeCSV.
func FuzzDecodeCSV(f *testing.F) {
	f.Add([]byte("phone1,phone2,name,prio,tz,expires,id,plan\n+14155550123,(212) 555-0199,Ann,2,Europe/London,2026-12-31,c1,gold\n"))
	m, err := memberfile.ParseMapping("numbers=phone1:mobile,phone2:home;name=name;priority=prio;timezone=tz;expiry=expires;key=id")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var emitted, rejected, lastMember, lastReject int
		seen := map[string]bool{}
		st, err := memberfile.Decode(context.Background(), bytes.NewReader(data), memberfile.CSV, m,
			memberfile.Options{DefaultRegion: "US", Workers: 2, BatchSize: 3},
			func(b []memberfile.Member) error {
				for _, mb := range b {
					checkMember(t, mb, seen)
					if mb.Line <= lastMember {
						t.Fatalf("member line %d after %d", mb.Line, lastMember)
					}
					lastMember = mb.Line
				}
				emitted += len(b)
				return nil
			},
			func(e memberfile.RowError) error {
				if e.Line < 2 || e.Line <= lastReject || e.Reason == "" {
					t.Fatalf("bad row error %+v after line %d", e, lastReject)
				}
				lastReject = e.Line
				rejected++
				return nil
			})
		if st.Members != emitted || st.Rejected != rejected || st.Rows != emitted+rejected || st.Duplicates > st.Rejected {
			t.Fatalf("stats %+v with %d emitted, %d rejected (err %v)", st, emitted, rejected, err)
		}
	})
}

func checkMember(t *testing.T, m memberfile.Member, seen map[string]bool) {
	t.Helper()
	if m.Line < 2 || m.Priority < 1 || m.Priority > 5 || len(m.Numbers) == 0 {
		t.Fatalf("invalid member %+v", m)
	}
	for i, n := range m.Numbers {
		if len(n.Number) < 3 || n.Number[0] != '+' || strings.Trim(n.Number[1:], "0123456789") != "" || n.Position != i+1 {
			t.Fatalf("member %+v: bad number %+v", m, n)
		}
		if seen[n.Number] {
			t.Fatalf("member %+v: number %s emitted twice", m, n.Number)
		}
		seen[n.Number] = true
	}
	if !m.ExpiresAt.IsZero() && m.ExpiresAt.Location().String() != "UTC" {
		t.Fatalf("member %+v: expiry not in UTC", m)
	}
	for k, v := range m.Variables {
		if strings.Trim(k, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" || k == "" || len(k) > 64 {
			t.Fatalf("member %+v: bad variable name %q", m, k)
		}
		if len(v) > 1024 || !utf8.ValidString(v) || strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			t.Fatalf("member %+v: bad variable value %q", m, v)
		}
	}
	for _, s := range []string{m.Name, m.ExternalKey} {
		if len(s) > 1024 || !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			t.Fatalf("member %+v: bad text %q", m, s)
		}
	}
}
