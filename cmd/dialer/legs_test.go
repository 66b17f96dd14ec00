package main

import (
	"github.com/fsdialer/dialer/esl/switchtest"
)

// callLegs is what the switch saw of a run, from its own channel records:
// the customer and agent legs the dialer originated (a-legs on loopback),
// in creation order, and every a-leg by UUID.
type callLegs struct {
	customers, agents []switchtest.Channel
	byUUID            map[string]switchtest.Channel
}

func switchLegs(sw switchtest.Backend) callLegs {
	l := callLegs{byUUID: map[string]switchtest.Channel{}}
	for _, c := range switchtest.Customers(sw.Channels()) {
		l.byUUID[c.UUID] = c
		if c.Vars["dialer_attempt_id"] == "" && c.Vars["dialer_manual_call"] == "" && c.Vars["dialer_role"] == "" {
			continue
		}
		if c.Vars["dialer_role"] == "agent" {
			l.agents = append(l.agents, c)
		} else {
			l.customers = append(l.customers, c)
		}
	}
	return l
}
