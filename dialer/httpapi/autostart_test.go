package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/httpapi"
)

// setSales makes the fixture's campaign finished, with or without
// autostart.
func (f *fixture) setSales(autostart bool) {
	f.t.Helper()
	doc := campaignDoc
	if autostart {
		doc += "autostart: true\n"
	}
	c, err := dialer.ReadCampaign(strings.NewReader(doc), "test")
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.db.ApplyCampaign(f.ctx, c); err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.db.SetCampaignState(f.ctx, "sales", dialer.StateFinished); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) salesState() dialer.State {
	f.t.Helper()
	c, err := f.db.Campaign(f.ctx, "sales")
	if err != nil {
		f.t.Fatal(err)
	}
	return c.State
}

const finishedWarning = "campaign sales is finished: these members will not be dialed until you run: dialer campaign start sales"

// TestAddMembers_FinishedCampaign: members added to a finished campaign
// are stored, and the answer warns that they will not be dialed; with
// start, or with the campaign's autostart, it is started instead.
func TestAddMembers_FinishedCampaign(t *testing.T) {
	for _, tt := range []struct {
		name      string
		autostart bool
		query     string
		state     dialer.State
		warning   string
	}{
		{"warned", false, "", dialer.StateFinished, finishedWarning},
		{"started by the request", false, "?start=true", dialer.StateRunning, ""},
		{"autostart", true, "", dialer.StateRunning, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, httpapi.Options{})
			f.setSales(tt.autostart)
			st, out := f.do("POST", "/v1/campaigns/sales/members"+tt.query, `{"communications":[{"number":"2125550101"}]}`)
			if st != http.StatusCreated || out["added"] != 1.0 || out["state"] != string(tt.state) {
				t.Fatalf("add: %d %v, want 201, one member, campaign %s", st, out, tt.state)
			}
			w, _ := out["warning"].(string)
			if !strings.HasPrefix(w, tt.warning) || (tt.warning == "") != (w == "") {
				t.Fatalf("warning %q, want %q", w, tt.warning)
			}
			if started := out["started"] == true; started != (tt.state == dialer.StateRunning) {
				t.Fatalf("started = %v in %v", out["started"], out)
			}
			if got := f.salesState(); got != tt.state {
				t.Fatalf("campaign %s after the add, want %s", got, tt.state)
			}
		})
	}
}

// TestMemberResult_FinishedCampaign: a result that makes the member due
// again in a finished campaign says that it will not be dialed, or with
// autostart starts the campaign; a result that ends the member says
// nothing of it.
func TestMemberResult_FinishedCampaign(t *testing.T) {
	for _, tt := range []struct {
		name      string
		autostart bool
		body      string
		state     dialer.State
		warning   string
		started   bool
	}{
		{"retry warned", false, `{"success":false,"next_after_sec":60}`, dialer.StateFinished, finishedWarning, false},
		{"retry with autostart", true, `{"success":false,"next_after_sec":60}`, dialer.StateRunning, "", true},
		{"success", true, `{"success":true}`, dialer.StateFinished, "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, httpapi.Options{})
			id := f.addMember(`{"communications":[{"number":"2125550101"}]}`)
			f.finishCall(id, "+12125550101", "u-1")
			f.setSales(tt.autostart)
			st, out := f.do("POST", "/v1/members/"+itoa(id)+"/result", tt.body)
			if st != http.StatusOK || out["campaign_state"] != string(tt.state) {
				t.Fatalf("result: %d %v, want 200 and campaign_state %s", st, out, tt.state)
			}
			w, _ := out["warning"].(string)
			if !strings.HasPrefix(w, tt.warning) || (tt.warning == "") != (w == "") {
				t.Fatalf("warning %q, want %q", w, tt.warning)
			}
			if (out["campaign_started"] == true) != tt.started {
				t.Fatalf("campaign_started = %v, want %v", out["campaign_started"], tt.started)
			}
			if out["member_id"] != float64(id) {
				t.Fatalf("the outcome's own fields are gone: %v", out)
			}
			if got := f.salesState(); got != tt.state {
				t.Fatalf("campaign %s after the result, want %s", got, tt.state)
			}
		})
	}
}
