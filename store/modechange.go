package store

import (
	"errors"
	"fmt"

	"github.com/fsdialer/dialer/dialer"
)

// ErrModeChange is returned when an apply would change the dial mode of a
// running or paused campaign: its calls in progress, reserved agents and
// waiting members belong to the old mode.
var ErrModeChange = errors.New("dial mode change of a running or paused campaign")

// checkModeChange refuses a new mode for a campaign that is running or
// paused; a stopped or finished one may change mode.
func checkModeChange(old *dialer.Campaign, c *dialer.Campaign) error {
	if old.Mode == c.Mode || (old.State != dialer.StateRunning && old.State != dialer.StatePaused) {
		return nil
	}
	return &modeChangeError{from: old.Mode, to: c.Mode, state: old.State, name: c.Name}
}

// modeChangeError says what was refused and what to do; it is ErrModeChange.
type modeChangeError struct {
	from, to dialer.Mode
	state    dialer.State
	name     string
}

func (e *modeChangeError) Error() string {
	return fmt.Sprintf("mode: cannot change %s to %s while the campaign is %s; stop it first: dialer campaign stop %s",
		e.from, e.to, e.state, e.name)
}

func (e *modeChangeError) Is(target error) bool { return target == ErrModeChange }
