package httpapi_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/export"
	"github.com/fsdialer/dialer/dialer/httpapi"
	"github.com/fsdialer/dialer/dialer/memberfile"
	"github.com/fsdialer/dialer/store"
)

// ids are the ids of a page's items, and its next_after (0 for null).
func ids(t *testing.T, out map[string]any) ([]int64, int64) {
	t.Helper()
	items, ok := out["items"].([]any)
	if !ok {
		t.Fatalf("no items array: %v", out)
	}
	got := []int64{}
	for _, it := range items {
		got = append(got, int64(it.(map[string]any)["id"].(float64)))
	}
	next, present := out["next_after"]
	if !present {
		t.Fatalf("no next_after: %v", out)
	}
	if next == nil {
		return got, 0
	}
	return got, int64(next.(float64))
}

// attempt records one final attempt of a member, begun at at.
func (f *fixture) attempt(memberID int64, number string, at time.Time, cause, class string) int64 {
	f.t.Helper()
	started, err := f.db.StartAttempts(f.ctx, []dialer.NewAttempt{{CampaignID: f.cid, MemberID: memberID, Number: number,
		CommunicationID: f.comm(memberID, number), UUID: fmt.Sprintf("uuid-%d-%d", memberID, at.Unix()), At: at}})
	if err != nil || started[0] == 0 {
		f.t.Fatalf("start attempt: %v %v", started, err)
	}
	end := dialer.AttemptEnd{AttemptID: started[0], MemberID: memberID, Cause: cause, Class: class, Counted: true,
		EndedAt: at.Add(20 * time.Second), MemberState: dialer.MemberWaiting, DueAt: at.Add(time.Hour), Attempts: 1}
	if class == "ok" {
		end.AnsweredAt, end.Billsec, end.MemberState = at.Add(2*time.Second), 18*time.Second, dialer.MemberDone
	}
	if err := f.db.FinishAttempts(f.ctx, []dialer.AttemptEnd{end}); err != nil {
		f.t.Fatal(err)
	}
	return started[0]
}

func TestListMembers(t *testing.T) {
	f := newFixture(t, httpapi.Options{})
	var members []int64
	for i := 1; i <= 5; i++ {
		members = append(members, f.addMember(fmt.Sprintf(`{"communications":[{"number":"21255501%02d"}]}`, i)))
	}
	f.attempt(members[2], "+12125550103", f.now.Add(time.Minute), "NORMAL_CLEARING", "ok")

	tests := []struct {
		query string
		want  []int64
		next  int64
	}{
		{"", members, 0},
		{"?limit=2", members[:2], members[1]},
		{fmt.Sprintf("?limit=2&after=%d", members[1]), members[2:4], members[3]},
		{fmt.Sprintf("?limit=2&after=%d", members[3]), members[4:], 0},
		{"?limit=5", members, 0},
		{"?state=done", members[2:3], 0},
		{"?state=waiting&limit=3", []int64{members[0], members[1], members[3]}, members[3]},
		{"?state=failed", []int64{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			st, out := f.do("GET", "/v1/campaigns/sales/members"+tt.query, "")
			if st != 200 {
				t.Fatalf("%d %v", st, out)
			}
			got, next := ids(t, out)
			if !reflect.DeepEqual(got, tt.want) || next != tt.next {
				t.Fatalf("items %v next %d, want %v next %d", got, next, tt.want, tt.next)
			}
		})
	}
	_, out := f.do("GET", "/v1/campaigns/sales/members?limit=1", "")
	first := out["items"].([]any)[0].(map[string]any)
	comms := first["communications"].([]any)
	if first["state"] != "waiting" || len(comms) != 1 || comms[0].(map[string]any)["number"] != "+12125550101" {
		t.Fatalf("member item = %v", first)
	}

	bad := []struct{ query, status, code, field string }{
		{"?limit=0", "400", "bad_request", "limit"},
		{"?limit=1001", "400", "bad_request", "limit"},
		{"?limit=ten", "400", "bad_request", "limit"},
		{"?after=-1", "400", "bad_request", "after"},
		{"?after=x", "400", "bad_request", "after"},
		{"?state=busy", "400", "bad_request", "state"},
		{"?stat=waiting", "400", "bad_request", "stat"},
		{"?limit=1&limit=2", "400", "bad_request", "limit"},
	}
	for _, tt := range bad {
		t.Run(tt.query, func(t *testing.T) {
			st, out := f.do("GET", "/v1/campaigns/sales/members"+tt.query, "")
			wantError(t, st, out, 400, tt.code, tt.field)
		})
	}
	st, out := f.do("GET", "/v1/campaigns/nope/members", "")
	wantError(t, st, out, 404, "not_found", "-")
}

func TestListAttempts(t *testing.T) {
	f := newFixture(t, httpapi.Options{})
	var a []int64
	for i, end := range []struct{ cause, class string }{
		{"USER_BUSY", "retry"}, {"NO_ANSWER", "retry"}, {"NORMAL_CLEARING", "ok"}, {"USER_BUSY", "retry"},
	} {
		number := fmt.Sprintf("+121255501%02d", i+1)
		m := f.addMember(`{"communications":[{"number":"` + number + `"}]}`)
		a = append(a, f.attempt(m, number, f.now.Add(time.Duration(i+1)*time.Minute), end.cause, end.class))
	}
	// Attempts began at 10:01, 10:02, 10:03 and 10:04 UTC, the calendar's zone.
	tests := []struct {
		query string
		want  []int64
		next  int64
	}{
		{"", a, 0},
		{"?class=retry", []int64{a[0], a[1], a[3]}, 0},
		{"?cause=USER_BUSY", []int64{a[0], a[3]}, 0},
		{"?cause=user_busy", []int64{a[0], a[3]}, 0},
		{"?class=ok&cause=NORMAL_CLEARING", []int64{a[2]}, 0},
		{"?class=retry&limit=2", []int64{a[0], a[1]}, a[1]},
		{fmt.Sprintf("?class=retry&limit=2&after=%d", a[1]), []int64{a[3]}, 0},
		{"?since=2026-11-23T10:02:00Z&until=2026-11-23T10:04:00Z", []int64{a[1], a[2]}, 0},
		{"?since=2026-11-23T10:02&until=2026-11-23T10:04", []int64{a[1], a[2]}, 0},
		{"?since=2026-11-23T11:02:30%2B01:00", []int64{a[2], a[3]}, 0},
		{"?until=2026-11-22", []int64{}, 0},
		{"?until=2026-11-23", a, 0},
		{"?cause=NO_SUCH_CAUSE", []int64{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			st, out := f.do("GET", "/v1/campaigns/sales/attempts"+tt.query, "")
			if st != 200 {
				t.Fatalf("%d %v", st, out)
			}
			got, next := ids(t, out)
			if !reflect.DeepEqual(got, tt.want) || next != tt.next {
				t.Fatalf("items %v next %d, want %v next %d", got, next, tt.want, tt.next)
			}
		})
	}
	_, out := f.do("GET", "/v1/campaigns/sales/attempts?class=ok", "")
	item := out["items"].([]any)[0].(map[string]any)
	if item["cause"] != "NORMAL_CLEARING" || item["number"] != "+12125550103" || item["final"] != true {
		t.Fatalf("attempt item = %v", item)
	}

	bad := []struct{ query, field string }{
		{"?class=busy", "class"},
		{"?cause=USER%20BUSY", "cause"},
		{"?since=yesterday", "since"},
		{"?until=-2h", "until"},
		{"?since=2026-11-23T10:04&until=2026-11-23T10:02", "until"},
		{"?limit=5000", "limit"},
		{"?clas=retry", "clas"},
	}
	for _, tt := range bad {
		t.Run(tt.query, func(t *testing.T) {
			st, out := f.do("GET", "/v1/campaigns/sales/attempts"+tt.query, "")
			wantError(t, st, out, 400, "bad_request", tt.field)
		})
	}
	st, out := f.do("GET", "/v1/campaigns/nope/attempts", "")
	wantError(t, st, out, 404, "not_found", "-")
}

// The report endpoint gives the figures of `dialer report -o json`.
func TestReportEndpoint(t *testing.T) {
	f := newFixture(t, httpapi.Options{})
	for i, end := range []struct{ cause, class string }{{"USER_BUSY", "retry"}, {"NORMAL_CLEARING", "ok"}, {"NO_ANSWER", "retry"}} {
		number := fmt.Sprintf("+121255501%02d", i+1)
		m := f.addMember(`{"communications":[{"number":"` + number + `"}]}`)
		f.attempt(m, number, f.now.Add(time.Duration(i+1)*time.Minute), end.cause, end.class)
	}
	tests := []struct {
		query string
		rng   dialer.TimeRange
		total float64
	}{
		{"", dialer.TimeRange{}, 3},
		{"?since=2026-11-23T10:02", dialer.TimeRange{Since: f.now.Add(2 * time.Minute)}, 2},
		{"?since=2026-11-23T10:02&until=2026-11-23T10:03:00Z",
			dialer.TimeRange{Since: f.now.Add(2 * time.Minute), Until: f.now.Add(3 * time.Minute)}, 1},
		// Now is 10:00; nothing began in the hour before.
		{"?since=1h&until=2026-11-23T10:00:00Z", dialer.TimeRange{Since: f.now.Add(-time.Hour), Until: f.now}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			st, got := f.do("GET", "/v1/campaigns/sales/report"+tt.query, "")
			if st != 200 {
				t.Fatalf("%d %v", st, got)
			}
			rep, err := f.db.ReportRange(f.ctx, f.cid, tt.rng)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(rep)
			var want map[string]any
			json.Unmarshal(b, &want)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("report:\n%v\nwant:\n%v", got, want)
			}
			if got["attempts"].(map[string]any)["total"] != tt.total {
				t.Fatalf("attempts = %v, want total %v", got["attempts"], tt.total)
			}
			for _, k := range []string{"abandoned", "answered_live", "abandon_rate"} {
				if _, ok := got[k]; !ok {
					t.Fatalf("report has no %s: %v", k, got)
				}
			}
		})
	}
	st, out := f.do("GET", "/v1/campaigns/sales/report?since=soon", "")
	wantError(t, st, out, 400, "bad_request", "since")
	st, out = f.do("GET", "/v1/campaigns/sales/report?limit=3", "")
	wantError(t, st, out, 400, "bad_request", "limit")
	st, out = f.do("GET", "/v1/campaigns/nope/report", "")
	wantError(t, st, out, 404, "not_found", "-")
}

// get sends a GET and returns the response with its body read.
func get(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading the body: %v", url, err)
	}
	return resp, body
}

// The export endpoint gives the bytes of `dialer export`.
func TestExportEndpoint(t *testing.T) {
	f := newFixture(t, httpapi.Options{})
	m := f.addMember(`{"external_key":"crm-1","name":"Ann","variables":{"plan":"gold"},"communications":[{"number":"2125550101"},{"number":"2125550102"}]}`)
	f.addMember(`{"communications":[{"number":"2125550103"}]}`)
	f.attempt(m, "+12125550101", f.now.Add(time.Minute), "NORMAL_CLEARING", "ok")
	tests := []struct {
		query, what, format, contentType string
	}{
		{"?what=attempts", "attempts", "csv", "text/csv; charset=utf-8"},
		{"?what=attempts&format=json", "attempts", "json", "application/json"},
		{"?what=attempts&format=jsonl", "attempts", "jsonl", "application/jsonl"},
		{"?what=members&format=csv", "members", "csv", "text/csv; charset=utf-8"},
		{"?what=members&format=json", "members", "json", "application/json"},
		{"?what=members&format=jsonl", "members", "jsonl", "application/jsonl"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			resp, body := get(t, f.srv.URL+"/v1/campaigns/sales/export"+tt.query)
			var want bytes.Buffer
			if _, err := export.Write(f.ctx, &want, f.db, f.cid, tt.what, tt.format); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != 200 || !bytes.Equal(body, want.Bytes()) {
				t.Fatalf("%d:\n%s\nwant:\n%s", resp.StatusCode, body, want.Bytes())
			}
			if ct := resp.Header.Get("Content-Type"); ct != tt.contentType {
				t.Fatalf("Content-Type %q, want %q", ct, tt.contentType)
			}
			if cd, want := resp.Header.Get("Content-Disposition"), `attachment; filename="sales-`+tt.what+"."+tt.format+`"`; cd != want {
				t.Fatalf("Content-Disposition %q, want %q", cd, want)
			}
			if !strings.Contains(string(body), "+12125550101") {
				t.Fatalf("export lacks the number:\n%s", body)
			}
		})
	}
	bad := []struct{ query, field string }{
		{"", "what"},
		{"?what=calls", "what"},
		{"?what=members&format=xml", "format"},
		{"?what=members&fmt=csv", "fmt"},
	}
	for _, tt := range bad {
		t.Run(tt.query, func(t *testing.T) {
			st, out := f.do("GET", "/v1/campaigns/sales/export"+tt.query, "")
			wantError(t, st, out, 400, "bad_request", tt.field)
		})
	}
	st, out := f.do("GET", "/v1/campaigns/nope/export?what=members", "")
	wantError(t, st, out, 404, "not_found", "-")
}

// An export that fails before anything is sent is a JSON error; one that
// fails once rows are out breaks the connection, so that a cut export
// never reads as a complete one.
func TestExportEndpoint_Failure(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "export.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c, err := dialer.ReadCampaign(strings.NewReader(campaignDoc), "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ApplyCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	stored, err := db.Campaign(ctx, "sales")
	if err != nil {
		t.Fatal(err)
	}
	var ms []memberfile.Member
	for i := range 2000 {
		ms = append(ms, memberfile.Member{Line: i + 1, Name: fmt.Sprintf("member %d", i), Priority: 3,
			Numbers: []memberfile.Number{{Number: fmt.Sprintf("+1212555%04d", i), Position: 1}}}) // 2000 * ~200 bytes of JSON
	}
	if _, err := db.AddMembers(ctx, stored.ID, ms); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(db, fakeLive{}, httpapi.Options{}).Handler())
	t.Cleanup(srv.Close)
	raw, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	corrupt := func(id int) {
		t.Helper()
		if _, err := raw.Exec(`UPDATE members SET variables = 'not json' WHERE id = ?`, id); err != nil {
			t.Fatal(err)
		}
	}

	corrupt(2)
	resp, body := get(t, srv.URL+"/v1/campaigns/sales/export?what=members&format=json")
	if resp.StatusCode != 500 || !strings.Contains(string(body), `"code": "internal"`) || !strings.Contains(string(body), "row 2") {
		t.Fatalf("failure on row 2: %d %s", resp.StatusCode, body)
	}
	if cd := resp.Header.Get("Content-Disposition"); cd != "" {
		t.Fatalf("an error is not an attachment: %q", cd)
	}

	if _, err := raw.Exec(`UPDATE members SET variables = '{}' WHERE id = 2`); err != nil {
		t.Fatal(err)
	}
	corrupt(1999)
	resp, err = http.Get(srv.URL + "/v1/campaigns/sales/export?what=members&format=json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("failure on row 1999 after %d bytes: status %d, read error %v", len(body), resp.StatusCode, err)
	}
	if len(body) == 0 || bytes.HasSuffix(bytes.TrimSpace(body), []byte("]")) {
		t.Fatalf("a cut export of %d bytes reads as complete", len(body))
	}
}
