package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/jmoiron/sqlx"
)

// recordLedger counts a newly final attempt in its campaign's abandon
// ledger, at the minute of its answer, when it is a live answered call of
// an agent-mode campaign; it is called in the transaction that makes the
// attempt final (see migration 0018).
func recordLedger(ctx context.Context, tx *sqlx.Tx, attemptID int64) error {
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO abandon_ledger (campaign_id, minute, live_answered, abandoned)
		SELECT a.campaign_id, coalesce(a.answered_at, a.ended_at) / 60000, 1, CASE WHEN a.cause = 'ABANDONED' THEN 1 ELSE 0 END
		FROM attempts a JOIN campaigns c ON c.id = a.campaign_id
		WHERE a.id = ? AND a.final = 1 AND c.mode IN ('progressive', 'preemptive', 'predictive')
		  AND a.cause <> 'MACHINE' AND (a.answered_at IS NOT NULL OR a.cause = 'ABANDONED')
		ON CONFLICT (campaign_id, minute) DO UPDATE SET
			live_answered = abandon_ledger.live_answered + excluded.live_answered,
			abandoned = abandon_ledger.abandoned + excluded.abandoned`, attemptID); err != nil {
		return fmt.Errorf("count attempt %d in the abandon ledger: %w", attemptID, err)
	}
	return nil
}

// ledgerRange is the minutes a window ending at now counts: those
// beginning after now-window and not after now.
func ledgerRange(window time.Duration, now time.Time) (from, to int64) {
	ms := now.UnixMilli()
	return floorDiv(ms-window.Milliseconds(), 60000) + 1, floorDiv(ms, 60000)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// AbandonLedger returns a campaign's live answered calls, abandons and
// abandon rate over the window ending at now, counted by the minute of the
// answer. It reads one range of the ledger's primary key, so the pacer can
// call it every second.
func (d *DB) AbandonLedger(ctx context.Context, campaignID int64, window time.Duration, now time.Time) (dialer.AbandonFigures, error) {
	from, to := ledgerRange(window, now)
	var row struct {
		Live      int `db:"live"`
		Abandoned int `db:"abandoned"`
	}
	if err := d.db.GetContext(ctx, &row, `
		SELECT coalesce(sum(live_answered), 0) AS live, coalesce(sum(abandoned), 0) AS abandoned
		FROM abandon_ledger WHERE campaign_id = ? AND minute BETWEEN ? AND ?`, campaignID, from, to); err != nil {
		return dialer.AbandonFigures{}, fmt.Errorf("abandon ledger of campaign %d: %w", campaignID, err)
	}
	return dialer.NewAbandonFigures(window, row.Live, row.Abandoned), nil
}

// LedgerReport is a campaign's abandon ledger as a report shows it: the
// figures over each window, the target and the profile.
type LedgerReport struct {
	// Compliance is the campaign's profile, "" for none.
	Compliance string `json:"compliance" yaml:"compliance"`
	// Target is the highest abandon rate allowed over Window.
	Target dialer.Ratio `json:"target" yaml:"target"`
	// Window is the campaign's own abandon.window, the one the pacer
	// holds under Target.
	Window dialer.Duration `json:"window" yaml:"window"`
	// Windows are the figures over 24 hours, 30 days and Window, each
	// ending at At.
	Windows []LedgerWindow `json:"windows" yaml:"windows"`
	At      time.Time      `json:"at" yaml:"at"`
}

// LedgerWindow is the ledger over one window, and whether its rate is at
// or over the campaign's target.
type LedgerWindow struct {
	dialer.AbandonFigures `yaml:",inline"`
	AtTarget              bool `json:"at_target" yaml:"at_target"`
	// Peak is the window's highest rate at any position since the ledger
	// began, ending at or before now; nil when nothing was answered.
	Peak *LedgerPeak `json:"peak" yaml:"peak"`
}

// LedgerPeak is the position of a window where its rate was highest: the
// window as AbandonLedger reads it from At through the minute after, with
// its counts. Ties go to the earliest.
type LedgerPeak struct {
	At           time.Time `json:"at" yaml:"at"`
	LiveAnswered int       `json:"live_answered" yaml:"live_answered"`
	Abandoned    int       `json:"abandoned" yaml:"abandoned"`
	Rate         float64   `json:"rate" yaml:"rate"`
	// OverTarget is whether Rate was above the campaign's target.
	OverTarget bool `json:"over_target" yaml:"over_target"`
}

// ledgerMinute is one stored minute of the ledger.
type ledgerMinute struct {
	Minute    int64 `db:"minute"`
	Live      int   `db:"live_answered"`
	Abandoned int   `db:"abandoned"`
}

// peak finds the highest rate of a window of w minutes over the minutes
// ms (oldest first), at positions ending no later than minute last. The
// rate changes only when a minute enters the window (a position ending at
// it) or leaves it (ending w minutes after it), so those positions are the
// only ones looked at.
func peak(ms []ledgerMinute, w, last int64, target dialer.Ratio) *LedgerPeak {
	ends := make([]int64, 0, 2*len(ms))
	for _, m := range ms {
		for _, e := range []int64{m.Minute, m.Minute + w} {
			if e <= last {
				ends = append(ends, e)
			}
		}
	}
	slices.Sort(ends)
	var best *LedgerPeak
	lo, hi, live, abandoned := 0, 0, 0, 0
	for _, e := range ends {
		for hi < len(ms) && ms[hi].Minute <= e {
			live, abandoned = live+ms[hi].Live, abandoned+ms[hi].Abandoned
			hi++
		}
		for lo < hi && ms[lo].Minute <= e-w {
			live, abandoned = live-ms[lo].Live, abandoned-ms[lo].Abandoned
			lo++
		}
		if live == 0 {
			continue
		}
		rate := float64(abandoned) / float64(live)
		if best == nil || rate > best.Rate {
			best = &LedgerPeak{At: time.UnixMilli(e * 60000).UTC(), LiveAnswered: live, Abandoned: abandoned, Rate: rate,
				OverTarget: float64(abandoned) > float64(target)*float64(live)}
		}
	}
	return best
}

// Ledger reads a campaign's abandon ledger over the windows its report
// shows, all ending at now, from one snapshot. It returns ErrNotFound when
// the campaign does not exist, and nil when it is not in an agent mode.
func (d *DB) Ledger(ctx context.Context, campaignID int64, now time.Time) (*LedgerReport, error) {
	var lr *LedgerReport
	err := d.snapshot(ctx, func(q *sqlx.Conn) error {
		sc, err := loadCampaign(ctx, q, `c.id = ?`, campaignID)
		if err != nil {
			return err
		}
		c := sc.Campaign
		if !c.Mode.Agents() {
			return nil
		}
		lr = &LedgerReport{Compliance: c.Compliance, Target: c.Abandon.Target, Window: c.Abandon.Window, At: now.UTC().Truncate(time.Millisecond), Windows: []LedgerWindow{}}
		var ms []ledgerMinute
		if err := q.SelectContext(ctx, &ms, `
			SELECT minute, live_answered, abandoned FROM abandon_ledger WHERE campaign_id = ? ORDER BY minute`, campaignID); err != nil {
			return fmt.Errorf("minutes: %w", err)
		}
		for _, w := range c.LedgerWindows() {
			from, to := ledgerRange(w, now)
			var row struct {
				Live      int `db:"live"`
				Abandoned int `db:"abandoned"`
			}
			if err := q.GetContext(ctx, &row, `
				SELECT coalesce(sum(live_answered), 0) AS live, coalesce(sum(abandoned), 0) AS abandoned
				FROM abandon_ledger WHERE campaign_id = ? AND minute BETWEEN ? AND ?`, campaignID, from, to); err != nil {
				return fmt.Errorf("window %s: %w", w, err)
			}
			f := dialer.NewAbandonFigures(w, row.Live, row.Abandoned)
			_, last := ledgerRange(w, now)
			lr.Windows = append(lr.Windows, LedgerWindow{AbandonFigures: f, AtTarget: f.AtTarget(c.Abandon.Target),
				Peak: peak(ms, w.Milliseconds()/60000, last, c.Abandon.Target)})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("abandon ledger of campaign %d: %w", campaignID, err)
	}
	return lr, nil
}

// LedgerBucket is one minute of a campaign's abandon ledger.
type LedgerBucket struct {
	Minute       time.Time `json:"minute"`
	LiveAnswered int       `json:"live_answered"`
	Abandoned    int       `json:"abandoned"`
}

// ExportLedger calls fn with every minute of a campaign's ledger that
// counted a call, oldest first, within rng (by the minute's start).
func (d *DB) ExportLedger(ctx context.Context, campaignID int64, rng dialer.TimeRange, fn func(LedgerBucket) error) error {
	if err := rng.Check(); err != nil {
		return fmt.Errorf("export ledger of campaign %d: %w", campaignID, err)
	}
	from, to := int64(-1<<62), int64(1<<62)
	if !rng.Since.IsZero() {
		from = floorDiv(rng.Since.UnixMilli()+59999, 60000)
	}
	if !rng.Until.IsZero() {
		to = floorDiv(rng.Until.UnixMilli()-1, 60000)
	}
	rows, err := d.db.QueryContext(ctx, `
		SELECT minute, live_answered, abandoned FROM abandon_ledger
		WHERE campaign_id = ? AND minute BETWEEN ? AND ? ORDER BY minute`, campaignID, from, to)
	if err != nil {
		return fmt.Errorf("export ledger of campaign %d: %w", campaignID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var b LedgerBucket
		var minute int64
		if err := rows.Scan(&minute, &b.LiveAnswered, &b.Abandoned); err != nil {
			return fmt.Errorf("export ledger of campaign %d: %w", campaignID, err)
		}
		b.Minute = time.UnixMilli(minute * 60000).UTC()
		if err := fn(b); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export ledger of campaign %d: %w", campaignID, err)
	}
	return nil
}

// writeCompliance stores a campaign's compliance profile.
func writeCompliance(ctx context.Context, tx *sqlx.Tx, campaignID int64, c *dialer.Campaign) error {
	if _, err := tx.ExecContext(ctx, `UPDATE campaigns SET compliance = ? WHERE id = ?`, c.Compliance, campaignID); err != nil {
		return fmt.Errorf("write compliance profile: %w", err)
	}
	return nil
}

// loadCompliance reads what writeCompliance stored into c.
func loadCompliance(ctx context.Context, q sqlx.QueryerContext, campaignID int64, c *dialer.Campaign) error {
	if err := sqlx.GetContext(ctx, q, &c.Compliance, `SELECT compliance FROM campaigns WHERE id = ?`, campaignID); err != nil {
		return fmt.Errorf("campaign %s compliance profile: %w", c.Name, err)
	}
	return nil
}
