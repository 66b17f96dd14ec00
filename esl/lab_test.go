package esl_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fsdialer/dialer/esl/fssim"
	"github.com/fsdialer/dialer/esl/switchtest"
)

// The lab tests dial the test numbering plan: on the
// simulator, and on a real FreeSWITCH running the dialer_lab, dialer_ivr
// and dialer_agents contexts of freeswitch-conf/dialplan, over loopback
// and, on the real switch, over real SIP and RTP through the gateway
// "lab". Run them on your own switch with
// DIALER_TEST_FREESWITCH=host:port[,password] go test ./esl/ -run Lab.

// labSpeed is the simulator's speed: a 5 s call takes half a second.
const labSpeed = 10

// labCase is one destination of the numbering plan and what it must do.
type labCase struct {
	name string
	dest string
	// ivr sends the call into dialer_ivr_example instead of &park().
	ivr bool
	// timeout is the originate_timeout in seconds, 0 for none.
	timeout int
	// cause is how the customer's leg ends; failed means originate
	// answers -ERR <cause> and the call is never answered.
	cause  string
	failed bool
	// after is the ring time: from creation to the answer, or to the
	// failure of an unanswered call.
	after time.Duration
	// early is how much sooner the failure may come: FreeSWITCH's
	// originate timeout counts whole seconds of the wall clock.
	early time.Duration
	// talk is how long an answered call lasts, billsec its billsec.
	talk    time.Duration
	billsec int
	// digit is the IVR's dialer_result.
	digit string
	// stays marks a callee that stays until the dialer hangs up.
	stays bool
}

func labAnswered(name, dest string, s int) labCase {
	return labCase{name: name, dest: dest, cause: "NORMAL_CLEARING", after: time.Second,
		talk: time.Duration(s+1) * time.Second, billsec: s + 1}
}

func labFailing(name, dest, cause string, after time.Duration) labCase {
	return labCase{name: name, dest: dest, cause: cause, failed: true, after: after}
}

func labIVR(name, dest, digit string) labCase {
	return labCase{name: name, dest: dest, ivr: true, cause: "NORMAL_CLEARING", after: time.Second, digit: digit}
}

// labPlan is every outcome of the numbering plan and of the agent
// endpoints, what the IVR collects from each kind of callee, and a
// destination outside the plan.
func labPlan() []labCase {
	noAnswer := labFailing("D6 rings until the ring timeout", "15550061", "NO_ANSWER", 3*time.Second)
	noAnswer.timeout, noAnswer.early = 3, time.Second
	agentNoAnswer := labFailing("agent-noanswer rings until the ring timeout", "agent-noanswer-1001", "NO_ANSWER", 3*time.Second)
	agentNoAnswer.timeout, agentNoAnswer.early = 3, time.Second
	return []labCase{
		labAnswered("D0 S0 talks 1 s", "15550000", 0),
		labAnswered("D1 S1 talks 2 s", "15550011", 1),
		labAnswered("D2 S3 with a plus talks 4 s", "+15551234523", 3),
		labAnswered("D3 S2 in another country talks 3 s", "442079460032", 2),
		labAnswered("D4 S4 talks 5 s", "15550044", 4),
		labFailing("D5 is busy after 1 s", "15550050", "USER_BUSY", time.Second),
		noAnswer,
		labFailing("D7 is unallocated at once", "15550072", "UNALLOCATED_NUMBER", 0),
		labFailing("D8 rejects after 1 s", "15550083", "CALL_REJECTED", time.Second),
		labFailing("D9 is congested at once", "15550094", "NORMAL_CIRCUIT_CONGESTION", 0),
		{name: "agent answers after 1 s and stays", dest: "agent-1001", cause: "NORMAL_CLEARING", after: time.Second, stays: true},
		labFailing("agent-busy is busy at once", "agent-busy-1001", "USER_BUSY", 0),
		agentNoAnswer,
		labFailing("agent-reject rejects at once", "agent-reject-1001", "CALL_REJECTED", 0),
		labIVR("IVR: S0 presses 0 and hangs up", "15550100", "0"),
		labIVR("IVR: S3 presses 3", "15550103", "3"),
		labIVR("IVR: S9 presses 9", "15550149", "9"),
		labIVR("IVR: a callee who never presses gets no_input", "agent-1001", "no_input"),
		labFailing("an unknown destination has no route", "lab-nowhere", "NO_ROUTE_DESTINATION", 0),
	}
}

// TestLab_NumberingPlan: every outcome over loopback, on both switches.
func TestLab_NumberingPlan(t *testing.T) {
	switchtest.Each(t, fssim.Options{Speed: labSpeed}, func(t *testing.T, b switchtest.Backend) {
		labRun(t, b, labLoopback, labPlan())
	})
}

// TestLab_NumberingPlanOverSIP: every outcome over SIP and RTP, where a
// callee's timing must not depend on media its peer never sends.
func TestLab_NumberingPlanOverSIP(t *testing.T) {
	b := labSIPSwitch(t)
	labRun(t, b, labSIP, labPlan())
}

// TestLab_BridgedCalleeKeepsItsTalkTime: a customer bridged to an agent
// talks for as long as the callee does, also when the agent presses a
// key and the bridge carries the digit into the callee's leg.
func TestLab_BridgedCalleeKeepsItsTalkTime(t *testing.T) {
	switchtest.Each(t, fssim.Options{Speed: labSpeed}, func(t *testing.T, b switchtest.Backend) {
		labBridged(t, b, labLoopback)
	})
}

// TestLab_BridgedCalleeOverSIP: the same with both legs over SIP.
func TestLab_BridgedCalleeOverSIP(t *testing.T) {
	labBridged(t, labSIPSwitch(t), labSIP)
}

func labLoopback(dest string) string { return "loopback/" + dest + "/dialer_lab" }

func labSIP(dest string) string { return "sofia/gateway/lab/" + dest }

// labSIPSwitch is the real switch, skipping the test when it has no
// gateway "lab".
func labSIPSwitch(t *testing.T) switchtest.Backend {
	t.Helper()
	b := switchtest.Real(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := switchtest.API(ctx, b, "sofia status gateway lab")
	if err != nil {
		t.Fatalf("sofia status gateway lab: %v", err)
	}
	if strings.Contains(out, "Invalid Gateway") {
		t.Skip("the switch has no SIP gateway \"lab\" to a profile running dialer_lab (see freeswitch-conf/README.md)")
	}
	return b
}

// labTolerance is how far a real switch's timing may stray; the
// simulator's is exact.
func labTolerance(b switchtest.Backend) time.Duration {
	if b.Real() {
		return 600 * time.Millisecond
	}
	return 50 * time.Millisecond
}

// labSleep waits d of the switch's time.
func labSleep(b switchtest.Backend, d time.Duration) {
	time.Sleep(time.Duration(float64(d) / b.Speed()))
}

// labID is an origination_uuid unique to this run.
func labID(role string, i int) string {
	return fmt.Sprintf("lab-%s-%d-%02d", role, time.Now().UnixNano(), i)
}

// labOriginate runs one api originate and returns its reply.
func labOriginate(ctx context.Context, t *testing.T, b switchtest.Backend, id string, timeout int, endpoint, target string) string {
	t.Helper()
	vars := "origination_uuid=" + id
	if timeout > 0 {
		vars += fmt.Sprintf(",originate_timeout=%d", timeout)
	}
	out, err := switchtest.API(ctx, b, "originate {"+vars+"}"+endpoint+" "+target)
	if err != nil {
		t.Errorf("originate %s: %v", endpoint, err)
	}
	return strings.TrimSpace(out)
}

// labWaitEnded waits until every channel in ids has hung up and returns
// them by UUID.
func labWaitEnded(t *testing.T, b switchtest.Backend, within time.Duration, ids ...string) map[string]switchtest.Channel {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got := map[string]switchtest.Channel{}
		for _, c := range b.Channels() {
			got[c.UUID] = c
		}
		var up []string
		for _, id := range ids {
			if c, ok := got[id]; !ok || c.Active {
				up = append(up, id)
			}
		}
		if len(up) == 0 {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("channels not ended after %s: %v", within, up)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// labRun dials every case at once through dial and checks each.
func labRun(t *testing.T, b switchtest.Backend, dial func(string) string, cases []labCase) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ids := make([]string, len(cases))
	replies := make([]string, len(cases))
	upAfter := make([]bool, len(cases))
	var wg sync.WaitGroup
	for i, c := range cases {
		ids[i] = labID("plan", i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			target := "&park()"
			if c.ivr {
				target = "dialer_ivr_example XML dialer_ivr"
			}
			replies[i] = labOriginate(ctx, t, b, ids[i], c.timeout, dial(c.dest), target)
			if !c.stays || !strings.HasPrefix(replies[i], "+OK") {
				return
			}
			labSleep(b, 3*time.Second)
			for _, ch := range b.Channels() {
				if ch.UUID == ids[i] {
					upAfter[i] = ch.Active
				}
			}
			if _, err := switchtest.API(ctx, b, "uuid_kill "+ids[i]); err != nil {
				t.Errorf("uuid_kill %s: %v", ids[i], err)
			}
		}()
	}
	wg.Wait()
	got := labWaitEnded(t, b, 30*time.Second, ids...)
	tol := labTolerance(b)
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ch := got[ids[i]]
			if c.failed {
				if want := "-ERR " + c.cause; replies[i] != want {
					t.Errorf("originate %s: %q, want %q", c.dest, replies[i], want)
				}
			} else if want := "+OK " + ids[i]; replies[i] != want {
				t.Errorf("originate %s: %q, want %q", c.dest, replies[i], want)
			}
			if ch.Cause != c.cause {
				t.Errorf("cause %q, want %q", ch.Cause, c.cause)
			}
			if c.failed {
				if !ch.Answered.IsZero() {
					t.Errorf("answered at %s, want never", ch.Answered)
				}
				labWithin(t, "failed after", ch.Hangup.Sub(ch.Created), c.after-c.early/2, tol+c.early/2)
				return
			}
			if ch.Answered.IsZero() {
				t.Fatalf("never answered (cause %q)", ch.Cause)
			}
			labWithin(t, "answered after", ch.Answered.Sub(ch.Created), c.after, tol)
			switch {
			case c.stays:
				if !upAfter[i] {
					t.Errorf("hung up by itself %s after the answer, want it to stay", ch.Hangup.Sub(ch.Answered))
				}
			case c.ivr:
				if r := ch.Vars["dialer_result"]; r != c.digit {
					t.Errorf("dialer_result %q, want %q", r, c.digit)
				}
			default:
				labWithin(t, "talked", ch.Hangup.Sub(ch.Answered), c.talk, tol)
				labBillsec(t, b, ch.Billsec, c.billsec)
			}
		})
	}
}

// labBridged bridges a customer who talks 4 s to an agent as soon as the
// customer answers; the agent presses a key a second later.
func labBridged(t *testing.T, b switchtest.Backend, dial func(string) string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	agent, customer := labID("agent", 0), labID("customer", 1)
	if out := labOriginate(ctx, t, b, agent, 10, dial("agent-1001"), "&park()"); out != "+OK "+agent {
		t.Fatalf("originate the agent: %q", out)
	}
	if out := labOriginate(ctx, t, b, customer, 10, dial("15550033"), "&park()"); out != "+OK "+customer {
		t.Fatalf("originate the customer: %q", out)
	}
	out, err := switchtest.API(ctx, b, "uuid_bridge "+customer+" "+agent)
	if err != nil || !strings.HasPrefix(out, "+OK") {
		t.Fatalf("uuid_bridge: %q, %v", out, err)
	}
	labSleep(b, time.Second)
	phone := ""
	for _, c := range b.Channels() {
		if c.Destination == "agent-1001" && c.UUID != agent {
			phone = c.UUID
		}
	}
	if phone == "" {
		t.Fatal("no callee leg for the agent")
	}
	if out, err := switchtest.API(ctx, b, "uuid_send_dtmf "+phone+" 5"); err != nil || !strings.HasPrefix(out, "+OK") {
		t.Fatalf("uuid_send_dtmf: %q, %v", out, err)
	}
	got := labWaitEnded(t, b, 30*time.Second, customer, agent)
	cust, ag := got[customer], got[agent]
	if cust.Cause != "NORMAL_CLEARING" || cust.BridgedWith != agent {
		t.Errorf("customer: cause %q bridged with %q, want NORMAL_CLEARING and %s", cust.Cause, cust.BridgedWith, agent)
	}
	labWithin(t, "customer talked", cust.Hangup.Sub(cust.Answered), 4*time.Second, labTolerance(b))
	labBillsec(t, b, cust.Billsec, 4)
	if ag.Cause != "NORMAL_CLEARING" {
		t.Errorf("agent: cause %q, want NORMAL_CLEARING", ag.Cause)
	}
	labWithin(t, "agent hung up after the customer", ag.Hangup.Sub(cust.Hangup), 0, labTolerance(b))
}

func labWithin(t *testing.T, what string, got, want, tol time.Duration) {
	t.Helper()
	if got < want-tol || got > want+tol {
		t.Errorf("%s %s, want %s ± %s", what, got, want, tol)
	}
}

// labBillsec checks billsec: exact on the simulator, ±1 s on a real
// switch, which counts whole seconds of the wall clock.
func labBillsec(t *testing.T, b switchtest.Backend, got, want int) {
	t.Helper()
	slack := 0
	if b.Real() {
		slack = 1
	}
	if got < want-slack || got > want+slack {
		t.Errorf("billsec %d, want %d ± %d", got, want, slack)
	}
}
