package dialer

import (
	"fmt"
	"time"
)

// RunAfterAdd is a campaign's run state after members were added to it,
// and before: with autostart a stopped or finished campaign is started
// (Was stopped or finished, State running).
type RunAfterAdd struct {
	Campaign   string
	Was, State State
	Autostart  bool
	// CalendarEnded is when the campaign calendar's validity ended, when
	// it has (autostart then starts nothing).
	CalendarEnded time.Time
}

// Started reports whether adding the members started the campaign.
func (r RunAfterAdd) Started() bool { return r.Was != StateRunning && r.State == StateRunning }

// Warning says why members just added will not be dialed, and what to
// run so that they are; "" when the campaign runs.
func (r RunAfterAdd) Warning() string {
	switch {
	case r.State == StateRunning:
		return ""
	case r.State == StatePaused:
		return fmt.Sprintf("campaign %s is paused: these members will not be dialed until you run: dialer campaign resume %s",
			r.Campaign, r.Campaign)
	case !r.CalendarEnded.IsZero():
		return fmt.Sprintf("campaign %s is %s and its calendar's validity ended at %s: these members will not be dialed; "+
			"extend the calendar, then run: dialer campaign start %s", r.Campaign, r.State,
			r.CalendarEnded.UTC().Format(time.RFC3339), r.Campaign)
	}
	w := fmt.Sprintf("campaign %s is %s: these members will not be dialed until you run: dialer campaign start %s",
		r.Campaign, r.State, r.Campaign)
	if !r.Autostart {
		w += " (with autostart: true in the campaign file it starts by itself when members are added)"
	}
	return w
}

// Notice is what to tell whoever added the members: that the campaign was
// started (autostart), or the Warning; "" when nothing changed and the
// campaign runs.
func (r RunAfterAdd) Notice() string {
	if r.Started() {
		return fmt.Sprintf("campaign %s was %s and has been started (autostart)", r.Campaign, r.Was)
	}
	return r.Warning()
}
