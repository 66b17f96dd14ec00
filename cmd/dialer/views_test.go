package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/config"
	"github.com/fsdialer/dialer/dialer/export"
	"github.com/fsdialer/dialer/store"
	"github.com/spf13/cobra"
)

// view runs status, report or export against c's database with c's fixed
// clock (newRootCmd's app always has the wall clock).
func (c *cli) view(args ...string) (string, error) {
	cfg := config.Default()
	cfg.Database = c.db
	a := &app{cfg: cfg, now: func() time.Time { return c.now }}
	root := &cobra.Command{Use: "dialer", SilenceUsage: true, SilenceErrors: true}
	root.AddCommand(newStatusCmd(a), newReportCmd(a), newExportCmd(a))
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

func (c *cli) viewOK(args ...string) string {
	c.t.Helper()
	out, err := c.view(args...)
	if err != nil {
		c.t.Fatalf("dialer %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (c *cli) viewFails(want string, args ...string) {
	c.t.Helper()
	out, err := c.view(args...)
	if err == nil {
		c.t.Fatalf("dialer %s succeeded; want error %q\n%s", strings.Join(args, " "), want, out)
	}
	if !strings.Contains(err.Error(), want) {
		c.t.Fatalf("dialer %s: error %q lacks %q", strings.Join(args, " "), err, want)
	}
}

// seedSQL runs statements on c's database, for rows no command writes (attempts).
func (c *cli) seedSQL(stmts ...string) {
	c.t.Helper()
	db, err := sql.Open("sqlite3", c.db)
	if err != nil {
		c.t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			c.t.Fatalf("%s: %v", s, err)
		}
	}
}

// viewLine returns the output line starting with prefix, spaces collapsed.
func viewLine(t *testing.T, out, prefix string) string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, prefix) {
			return strings.Join(strings.Fields(l), " ")
		}
	}
	t.Fatalf("no line starting with %q in:\n%s", prefix, out)
	return ""
}

// ivrWithResults is survey-ivr running with members 1..3 (c-1001..c-1003)
// and three attempts: member 1 answered (ok, 12.345 s), member 2 busy
// (retry, due again at 16:00), member 3 in a call.
func ivrWithResults(t *testing.T) *cli {
	c := setup(t)
	c.ok("campaign", "apply", "-f", "../../testdata/campaigns/ivr.yaml")
	c.ok("member", "import", "--campaign", "survey-ivr", "../../testdata/members/members.csv")
	c.ok("campaign", "start", "survey-ivr")
	// 2026-11-23T15:01:00Z = 1795446060000 ms
	c.seedSQL(
		`INSERT INTO attempts (id, campaign_id, member_id, number, uuid, final, created_at, answered_at, ended_at,
		                       cause, q850, billsec_ms, class, counted, business_result)
		 VALUES (1, 1, 1, '+12125550142', 'uuid-1', 1, 1795446060000, 1795446062000, 1795446074345,
		         'NORMAL_CLEARING', 16, 12345, 'ok', 1, '5'),
		        (2, 1, 2, '+14155550150', 'uuid-2', 1, 1795446120000, NULL, 1795446121000,
		         'USER_BUSY', 17, 0, 'retry', 1, ''),
		        (3, 1, 3, '+13125550175', 'uuid-3', 0, 1795446180000, NULL, NULL, '', NULL, 0, '', 0, '')`,
		`UPDATE members SET state = 'done', attempts = 1, last_cause = 'NORMAL_CLEARING' WHERE id = 1`,
		`UPDATE members SET state = 'waiting', attempts = 1, last_cause = 'USER_BUSY', due_at = 1795449600000 WHERE id = 2`,
		`UPDATE members SET state = 'calling' WHERE id = 3`,
	)
	return c
}

func TestStatus_FreshAndStaleDaemon(t *testing.T) {
	c := ivrWithResults(t)
	ctx := context.Background()
	db, err := store.Open(ctx, c.db)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	write := func(age time.Duration) {
		t.Helper()
		err := db.WriteDaemonStatus(ctx, store.DaemonStatus{PID: 4242, Host: "fs1", Version: "v1.2.0",
			StartedAt: c.now.Add(-2 * time.Hour), UpdatedAt: c.now.Add(-age), ESLState: "connected", ESLReconnects: 1,
			CallsInProgress: 3, OriginatesPerSec: 1.5,
			Campaigns: []store.CampaignLive{{Name: "survey-ivr", LinesInUse: 3, MaxLines: 30, CallsPerSec: 1.5}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name      string
		prepare   func()
		daemon    string
		esl       string
		row       string
		running   bool
		liveLines any
	}{
		{"fresh", func() { write(2 * time.Second) },
			"daemon: running, pid 4242 on fs1, version v1.2.0, up 2h0m0s (status 2s old)",
			"ESL: connected (1 reconnects)", "survey-ivr running 3/30 1.50 3 1 1 1 0 0", true, 3.0},
		{"just under five seconds", func() { write(5*time.Second - time.Millisecond) },
			"daemon: running, pid 4242 on fs1", "ESL: connected", "survey-ivr running 3/30 1.50 3 1 1 1 0 0", true, 3.0},
		{"five seconds is stale", func() { write(5 * time.Second) },
			"daemon: not running (last seen " + tableTime(c.now.Add(-5*time.Second)) + ", pid 4242 on fs1, did not shut down cleanly", "ESL: unknown",
			"survey-ivr running -/30 - 3 1 1 1 0 0", false, nil},
		{"clean shutdown", func() {
			if err := db.MarkDaemonStopped(ctx, 4242, c.now.Add(-time.Minute), ""); err != nil {
				t.Fatal(err)
			}
		}, "daemon: stopped at " + tableTime(c.now.Add(-time.Minute)) + " (pid 4242 on fs1, clean shutdown)", "ESL: unknown", "survey-ivr running -/30 - 3 1 1 1 0 0", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.prepare()
			out := c.viewOK("status")
			if got := viewLine(t, out, "daemon:"); !strings.HasPrefix(got, tt.daemon) {
				t.Errorf("daemon line = %q, want %q", got, tt.daemon)
			}
			if got := viewLine(t, out, "ESL:"); !strings.HasPrefix(got, tt.esl) {
				t.Errorf("ESL line = %q, want %q", got, tt.esl)
			}
			if got := viewLine(t, out, "survey-ivr"); got != tt.row {
				t.Errorf("campaign row = %q, want %q", got, tt.row)
			}
			var v struct {
				Daemon struct {
					Running bool `json:"running"`
				} `json:"daemon"`
				Campaigns []map[string]any `json:"campaigns"`
			}
			if err := json.Unmarshal([]byte(c.viewOK("status", "-o", "json")), &v); err != nil {
				t.Fatal(err)
			}
			if v.Daemon.Running != tt.running || len(v.Campaigns) != 1 || v.Campaigns[0]["lines_in_use"] != tt.liveLines ||
				v.Campaigns[0]["ok"] != 1.0 || v.Campaigns[0]["in_progress"] != 1.0 {
				t.Errorf("json = %+v, want running %v and lines_in_use %v", v, tt.running, tt.liveLines)
			}
		})
	}
}

func TestStatus_NoActiveCampaign(t *testing.T) {
	c := ivrWithResults(t)
	c.ok("campaign", "stop", "survey-ivr")
	out := c.viewOK("status")
	contains(t, out, "not running (no daemon has run on this database", "no running or paused campaigns")
	c.viewFails(`--output "xml"`, "status", "-o", "xml")
	contains(t, c.viewOK("status", "-o", "yaml"), "running: false", "campaigns: []")
}

func TestReport_Views(t *testing.T) {
	c := ivrWithResults(t)
	out := c.viewOK("report", "survey-ivr")
	for prefix, want := range map[string]string{
		"campaign:":            "campaign: survey-ivr (ivr, running)",
		"members:":             "members: 3 (waiting 1, calling 1, done 1, failed 0)",
		"attempts:":            "attempts: 3 (in progress 1, final 2)",
		"final by class:":      "final by class: ok 1, retry 1, error 0, minus 0",
		"answer rate:":         "answer rate: 50.0% (1 of 2 final attempts)",
		"avg billsec:":         "avg billsec: 12s",
		"attempts per member:": "attempts per member: 1.00 (3 members dialed)",
		"NORMAL_CLEARING":      "NORMAL_CLEARING ok 1",
		"USER_BUSY":            "USER_BUSY retry 1",
	} {
		if got := viewLine(t, out, prefix); got != want {
			t.Errorf("line %q, want %q", got, want)
		}
	}
	if strings.Contains(out, "AGENT") || strings.Contains(out, "FAILED BY CAUSE") {
		t.Errorf("empty sections printed:\n%s", out)
	}
	var r store.Report
	if err := json.Unmarshal([]byte(c.viewOK("report", "survey-ivr", "-o", "json")), &r); err != nil {
		t.Fatal(err)
	}
	if r.AnswerRate != 0.5 || r.AvgBillsecSeconds != 12.345 || r.Attempts.Total != 3 || r.Members.Done != 1 {
		t.Errorf("json report = %+v", r)
	}
	contains(t, c.viewOK("report", "survey-ivr", "-o", "yaml"), "answer_rate: 0.5", "avg_billsec_seconds: 12.345")
	c.viewFails(`no campaign named "nope"`, "report", "nope")
}

func TestReport_Agents(t *testing.T) {
	c := newCLI(t)
	c.ok("campaign", "apply", "-f", "../../testdata/campaigns/progressive.yaml")
	c.ok("member", "import", "--campaign", "renewals-progressive", "../../testdata/members/members.jsonl")
	c.seedSQL(
		`INSERT INTO agents (id, name, endpoint, call_timeout_ms, state_changed_at, updated_at)
		 VALUES (7, 'alice', 'user/1001', 20000, 0, 0)`,
		`INSERT INTO attempts (id, campaign_id, member_id, number, uuid, agent_id, final, created_at, answered_at,
		                       agent_ringing_at, agent_answered_at, bridged_at, bridge_ended_at, ended_at,
		                       cause, q850, billsec_ms, class, counted, wrapup_ms)
		 VALUES (1, 1, 1, '+13125550111', 'u1', 7, 1, 0, 1000, 1500, 2000, 2000, 65500, 65500, 'NORMAL_CLEARING', 16, 64500, 'ok', 1, 5000),
		        (2, 1, 2, '+12125550133', 'u2', 7, 1, 70000, 71000, 71500, NULL, NULL, NULL, 91500, 'NORMAL_CLEARING', 16, 20500, 'retry', 1, 0)`,
	)
	out := c.viewOK("report", "renewals-progressive")
	// Occupancy: ringing 0.5 s + 20 s, talking 63.5 s, wrap-up 5 s over the
	// 91.5 s from the first offer to the end of the last call.
	if got, want := viewLine(t, out, "alice"), "alice 2 1 1 1m4s 5s 97.3%"; got != want {
		t.Fatalf("agent row = %q, want %q\n%s", got, want, out)
	}
	if got, want := viewLine(t, out, "AGENT"), "AGENT OFFERED ANSWERED NO ANSWER TALK TIME WRAP-UP OCCUPANCY"; got != want {
		t.Fatalf("agent header = %q, want %q", got, want)
	}
}

func TestExport_Attempts(t *testing.T) {
	c := ivrWithResults(t)
	t.Run("csv", func(t *testing.T) {
		got := c.viewOK("export", "survey-ivr", "--attempts")
		want := `id,member_id,external_key,number,uuid,created_at,answered_at,ended_at,cause,q850,billsec,class,counted,business_result,agent,recording_path,amd_result,amd_ms
1,1,c-1001,+12125550142,uuid-1,2026-11-23T15:01:00.000Z,2026-11-23T15:01:02.000Z,2026-11-23T15:01:14.345Z,NORMAL_CLEARING,16,12.345,ok,true,5,,,,
2,2,c-1002,+14155550150,uuid-2,2026-11-23T15:02:00.000Z,,2026-11-23T15:02:01.000Z,USER_BUSY,17,0.000,retry,true,,,,,
3,3,c-1003,+13125550175,uuid-3,2026-11-23T15:03:00.000Z,,,,,0.000,,false,,,,,
`
		if got != want {
			t.Fatalf("csv:\n%s\nwant:\n%s", got, want)
		}
	})
	t.Run("json", func(t *testing.T) {
		var rows []map[string]any
		out := c.viewOK("export", "survey-ivr", "--attempts", "-o", "json")
		if err := json.Unmarshal([]byte(out), &rows); err != nil {
			t.Fatalf("not a JSON array: %v\n%s", err, out)
		}
		want := []map[string]any{
			{"id": 1.0, "member_id": 1.0, "external_key": "c-1001", "number": "+12125550142", "uuid": "uuid-1",
				"created_at": "2026-11-23T15:01:00.000Z", "answered_at": "2026-11-23T15:01:02.000Z",
				"ended_at": "2026-11-23T15:01:14.345Z", "cause": "NORMAL_CLEARING", "q850": 16.0, "billsec": 12.345,
				"class": "ok", "counted": true, "business_result": "5", "agent": "",
				"recording_path": nil, "amd_result": "", "amd_ms": nil, "captured": map[string]any{}},
			{"id": 2.0, "member_id": 2.0, "external_key": "c-1002", "number": "+14155550150", "uuid": "uuid-2",
				"created_at": "2026-11-23T15:02:00.000Z", "answered_at": nil, "ended_at": "2026-11-23T15:02:01.000Z",
				"cause": "USER_BUSY", "q850": 17.0, "billsec": 0.0, "class": "retry", "counted": true,
				"business_result": "", "agent": "", "recording_path": nil, "amd_result": "", "amd_ms": nil, "captured": map[string]any{}},
			{"id": 3.0, "member_id": 3.0, "external_key": "c-1003", "number": "+13125550175", "uuid": "uuid-3",
				"created_at": "2026-11-23T15:03:00.000Z", "answered_at": nil, "ended_at": nil, "cause": "",
				"q850": nil, "billsec": 0.0, "class": "", "counted": false, "business_result": "", "agent": "",
				"recording_path": nil, "amd_result": "", "amd_ms": nil, "captured": map[string]any{}},
		}
		if !reflect.DeepEqual(rows, want) {
			t.Fatalf("json rows = %v\nwant %v", rows, want)
		}
	})
	t.Run("jsonl", func(t *testing.T) {
		out := c.viewOK("export", "survey-ivr", "--attempts", "-o", "jsonl")
		sc := bufio.NewScanner(strings.NewReader(out))
		n := 0
		for sc.Scan() {
			var row map[string]any
			if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
				t.Fatalf("line %d: %v: %s", n+1, err, sc.Text())
			}
			n++
			if row["id"] != float64(n) {
				t.Fatalf("line %d has id %v", n, row["id"])
			}
		}
		if n != 3 {
			t.Fatalf("%d JSON lines, want 3:\n%s", n, out)
		}
	})
}

func TestExport_Members(t *testing.T) {
	c := ivrWithResults(t)
	out := c.viewOK("export", "survey-ivr", "--members")
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"id", "external_key", "name", "state", "priority", "attempts", "end_cause", "last_cause", "due_at", "numbers", "variables", "held", "not_before"},
		{"1", "c-1001", "Ann Lee", "done", "1", "1", "", "NORMAL_CLEARING", "", "+12125550142;+16465550199", `{"score":"87","segment":"retail"}`, "false", ""},
		{"2", "c-1002", "Bob Stone", "waiting", "3", "1", "", "USER_BUSY", "2026-11-23T16:00:00.000Z", "+14155550150", `{"score":"42","segment":"smb"}`, "false", ""},
		{"3", "c-1003", "Carla Díaz", "calling", "2", "0", "", "", "", "+13125550175;+17735550133", `{"score":"66","segment":"retail"}`, "false", ""},
	}
	if !reflect.DeepEqual(recs, want) {
		t.Fatalf("members csv = %q\nwant %q", recs, want)
	}
	var rows []struct {
		ID        int64             `json:"id"`
		DueAt     *string           `json:"due_at"`
		Numbers   []string          `json:"numbers"`
		Variables map[string]string `json:"variables"`
	}
	if err := json.Unmarshal([]byte(c.viewOK("export", "survey-ivr", "--members", "-o", "json")), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0].DueAt != nil || *rows[1].DueAt != "2026-11-23T16:00:00.000Z" ||
		len(rows[2].Numbers) != 2 || rows[2].Variables["segment"] != "retail" {
		t.Fatalf("members json = %+v", rows)
	}
}

func TestExport_FileAndErrors(t *testing.T) {
	c := ivrWithResults(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "attempts.json")
	contains(t, c.viewOK("export", "survey-ivr", "--attempts", "-o", "json", "--file", file),
		"exported 3 attempts of survey-ivr to "+file)
	written, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if stdout := c.viewOK("export", "survey-ivr", "--attempts", "-o", "json"); string(written) != stdout {
		t.Fatalf("file differs from standard output:\n%s\n%s", written, stdout)
	}

	// A member whose stored variables are not JSON fails the export on
	// row 2: the file already there is left as it was, and no temporary
	// file remains.
	c.seedSQL(`UPDATE members SET variables = 'not json' WHERE id = 2`)
	members := filepath.Join(dir, "members.json")
	os.WriteFile(members, []byte("previous export\n"), 0o644)
	c.viewFails("row 2", "export", "survey-ivr", "--members", "-o", "json", "--file", members)
	if b, _ := os.ReadFile(members); string(b) != "previous export\n" {
		t.Fatalf("failed export replaced the file: %q", b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Fatalf("files left after a failed export: %v", entries)
	}

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"both kinds", []string{"export", "survey-ivr", "--members", "--attempts"}, "none of the others can be"},
		{"no kind", []string{"export", "survey-ivr"}, "at least one of the flags"},
		{"bad format", []string{"export", "survey-ivr", "--attempts", "-o", "xml"}, `--output "xml": must be csv, json or jsonl`},
		{"unknown campaign", []string{"export", "nope", "--attempts"}, `no campaign named "nope"`},
		{"missing directory", []string{"export", "survey-ivr", "--attempts", "--file", filepath.Join(dir, "no", "x.csv")}, "--file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { c.viewFails(tt.want, tt.args...) })
	}
}

func TestExport_EmptyCampaign(t *testing.T) {
	c := setup(t)
	c.ok("campaign", "apply", "-f", "../../testdata/campaigns/ivr.yaml")
	tests := []struct {
		format, want string
	}{
		{"csv", strings.Join(export.AttemptHeader, ",") + "\n"},
		{"json", "[]\n"},
		{"jsonl", ""},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			if got := c.viewOK("export", "survey-ivr", "--attempts", "-o", tt.format); got != tt.want {
				t.Fatalf("empty export = %q, want %q", got, tt.want)
			}
		})
	}
}
