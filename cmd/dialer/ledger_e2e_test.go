package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/esl/fssim"
	"github.com/fsdialer/dialer/esl/switchtest"
)

// ledgerView is the ledger part of `dialer report -o json` and of the
// API's report.
type ledgerView struct {
	Ledger *struct {
		Target  float64 `json:"target"`
		Window  string  `json:"window"`
		Windows []struct {
			Window       string  `json:"window"`
			LiveAnswered int     `json:"live_answered"`
			Abandoned    int     `json:"abandoned"`
			Rate         float64 `json:"rate"`
			AtTarget     bool    `json:"at_target"`
			Peak         *struct {
				Rate float64 `json:"rate"`
			} `json:"peak"`
		} `json:"windows"`
	} `json:"ledger"`
}

// TestServe_LedgerAgreesWithAttempts runs a progressive campaign whose
// first agent never answers, so that customers are both bridged to the
// live agent and abandoned, then computes the live answered calls and the
// abandons from `dialer export --attempts` and checks that the ledger in
// `dialer report -o json`, in the API's report and in `dialer export
// --ledger` says the same, and that the switch saw as many answered
// customers and as many of them never bridged.
func TestServe_LedgerAgreesWithAttempts(t *testing.T) {
	switchtest.Each(t, fssim.Options{Speed: 20, HeartbeatInterval: time.Second}, func(t *testing.T, sw switchtest.Backend) {
		e := newE2E(t, sw)
		// Answering numbers whose callees talk 2 to 5 s: less than the
		// dead agent's 5 s call timeout, so the customer it was offered
		// hangs up while it rings.
		tails := []string{"12", "23", "01", "34", "13", "22"}
		n := 12
		if sw.Real() {
			n = 5
		}
		members := make([]string, n)
		for i := range members {
			members[i] = fmt.Sprintf("l%d:+1212%04d%s", i, 7000+i, tails[i%len(tails)])
		}
		c := e.load(`
name: ledger
mode: progressive
dial: {template: "loopback/{number}/dialer_lab"}
agents: {hold_time: 8s}
abandon: {window: 2h}
limits: {lines: 10, ring_timeout: 5s}
retry: {max_attempts: 2, interval: 5s}
`+alwaysOpen, members)
		e.agents("ledger", "agent-noanswer-1", "agent-2")
		base, _ := e.serveAPI(c.ID)
		waitFor(t, agentRunLimit, "the campaign to finish", func() bool {
			got, err := e.db.Campaign(e.ctx, "ledger")
			return err == nil && got.State == dialer.StateFinished
		})
		checkSettled(t, e.db, c.ID)

		cl := &cli{t: t, db: e.cfg.Database, now: sw.Now()}
		var attempts []struct {
			AnsweredAt *string `json:"answered_at"`
			Cause      string  `json:"cause"`
		}
		if err := json.Unmarshal([]byte(cl.viewOK("export", "ledger", "--attempts", "-o", "json")), &attempts); err != nil {
			t.Fatal(err)
		}
		live, abandoned := 0, 0
		for _, a := range attempts {
			if a.Cause == "ABANDONED" {
				abandoned++
			}
			if (a.AnsweredAt != nil || a.Cause == "ABANDONED") && a.Cause != "MACHINE" {
				live++
			}
		}
		t.Logf("%d attempts: %d live answered, %d abandoned", len(attempts), live, abandoned)
		if abandoned == 0 || live <= abandoned {
			t.Fatalf("the run gave %d live answered and %d abandoned calls; the test needs both bridged and abandoned ones", live, abandoned)
		}

		// The switch's own records: customers answered, and those of them
		// never bridged to an agent.
		r := agentRunOf(sw)
		answered, unbridged := 0, 0
		for _, cust := range r.customers {
			if cust.Answered.IsZero() {
				continue
			}
			answered++
			if _, ok := r.agentOf(cust); !ok {
				unbridged++
			}
		}
		if answered != live || unbridged != abandoned {
			t.Errorf("the switch answered %d customers and bridged all but %d; the attempts say %d live answered and %d abandoned",
				answered, unbridged, live, abandoned)
		}

		check := func(where string, v ledgerView) {
			t.Helper()
			if v.Ledger == nil {
				t.Fatalf("%s: no ledger", where)
			}
			if v.Ledger.Target != 0.03 || v.Ledger.Window != "2h0m0s" || len(v.Ledger.Windows) != 3 {
				t.Fatalf("%s: ledger %+v, want target 0.03 and windows 24h, 30d and 2h", where, v.Ledger)
			}
			for _, w := range v.Ledger.Windows {
				rate := float64(abandoned) / float64(live)
				if w.LiveAnswered != live || w.Abandoned != abandoned || w.Rate != rate || w.AtTarget != (rate >= 0.03) {
					t.Errorf("%s: window %s: %d live answered, %d abandoned, rate %v, at target %v; the attempts say %d, %d, %v",
						where, w.Window, w.LiveAnswered, w.Abandoned, w.Rate, w.AtTarget, live, abandoned, rate)
				}
				if w.Peak == nil || w.Peak.Rate < w.Rate {
					t.Errorf("%s: window %s: peak %+v below the rate now, %v", where, w.Window, w.Peak, w.Rate)
				}
			}
		}
		var cliReport ledgerView
		if err := json.Unmarshal([]byte(cl.viewOK("report", "ledger", "-o", "json")), &cliReport); err != nil {
			t.Fatal(err)
		}
		check("dialer report", cliReport)
		table := cl.viewOK("report", "ledger")
		wantRow := fmt.Sprintf("2h (abandon.window)  %d", live)
		if !strings.Contains(strings.Join(strings.Fields(table), " "), strings.Join(strings.Fields(wantRow), " ")) {
			t.Errorf("report table lacks %q:\n%s", wantRow, table)
		}

		var apiReport ledgerView
		code, body := apiCall(t, "GET", base+"/v1/campaigns/ledger/report", "")
		raw, _ := json.Marshal(body)
		if err := json.Unmarshal(raw, &apiReport); err != nil || code != 200 {
			t.Fatalf("API report: %d %v", code, err)
		}
		check("API report", apiReport)

		rows, err := csv.NewReader(strings.NewReader(cl.viewOK("export", "ledger", "--ledger"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		sumLive, sumAbandoned := 0, 0
		for _, row := range rows[1:] {
			l, _ := strconv.Atoi(row[1])
			a, _ := strconv.Atoi(row[2])
			sumLive += l
			sumAbandoned += a
		}
		if sumLive != live || sumAbandoned != abandoned {
			t.Errorf("ledger export sums to %d live answered and %d abandoned; the attempts say %d and %d", sumLive, sumAbandoned, live, abandoned)
		}
	})
}

// TestServe_LedgerLeavesOutMachines: with answering-machine detection, a
// progressive campaign's machines are answered calls (the export says so)
// that the ledger does not count as live answered: the abandon rate is
// over the people reached.
func TestServe_LedgerLeavesOutMachines(t *testing.T) {
	switchtest.Each(t, fssim.Options{Speed: 10, HeartbeatInterval: time.Second}, func(t *testing.T, sw switchtest.Backend) {
		e := newE2E(t, sw)
		c := e.load(`
name: ledger-amd
mode: progressive
dial: {template: "loopback/{number}/dialer_lab"}
amd: {engine: avmd, timeout: 1s}
limits: {lines: 2, ring_timeout: 10s}
retry: {max_attempts: 1}
`+alwaysOpen, []string{"machine1:+12125888803", "machine2:+12125888849", "person1:+12125550103", "person2:+12125550142"})
		e.agents("ledger-amd", "agent-1001")
		done := e.serve(e.ctx, serveOptions{untilDone: true, statusTick: 50 * time.Millisecond}, sw.Now)
		waitDaemon(t, done, 90*time.Second)
		checkSettled(t, e.db, c.ID)

		cl := &cli{t: t, db: e.cfg.Database, now: sw.Now()}
		var attempts []struct {
			Number     string  `json:"number"`
			AnsweredAt *string `json:"answered_at"`
			Cause      string  `json:"cause"`
		}
		if err := json.Unmarshal([]byte(cl.viewOK("export", "ledger-amd", "--attempts", "-o", "json")), &attempts); err != nil {
			t.Fatal(err)
		}
		answered, machines := 0, 0
		for _, a := range attempts {
			if a.AnsweredAt != nil {
				answered++
			}
			if a.Cause == "MACHINE" {
				machines++
			}
		}
		if len(attempts) != 4 || answered != 4 || machines != 2 {
			t.Fatalf("attempts %+v: want 4, all answered, 2 of them MACHINE", attempts)
		}
		var v ledgerView
		if err := json.Unmarshal([]byte(cl.viewOK("report", "ledger-amd", "-o", "json")), &v); err != nil {
			t.Fatal(err)
		}
		if v.Ledger == nil || len(v.Ledger.Windows) != 2 {
			t.Fatalf("ledger %+v, want 24h and 30d", v.Ledger)
		}
		for _, w := range v.Ledger.Windows {
			if w.LiveAnswered != answered-machines || w.Abandoned != 0 {
				t.Errorf("window %s: %d live answered, %d abandoned; want the %d people, none abandoned", w.Window, w.LiveAnswered, w.Abandoned, answered-machines)
			}
		}
	})
}
