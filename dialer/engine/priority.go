package engine

// outranked reports whether strict priority holds cs back: a running
// campaign of higher priority (a smaller number) had a member callable
// now at its last dispatch, which this tick's dispatch of it, earlier in
// the priority order, has just refreshed when it had lines. It reads
// what dispatch learnt and asks the store nothing: a campaign idle with
// nothing due holds nobody back until its next look, at most
// idleBackoff later.
func (e *Engine) outranked(cs *campaignState) bool {
	for _, o := range e.order {
		if o.run.Campaign.Priority >= cs.run.Campaign.Priority {
			return false
		}
		if o.active && o.due {
			return true
		}
	}
	return false
}
