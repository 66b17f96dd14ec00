package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/calendar"
	"github.com/jmoiron/sqlx"
)

// Change says what an apply did.
type Change string

// Apply outcomes.
const (
	Created   Change = "created"
	Updated   Change = "updated"
	Unchanged Change = "unchanged"
)

// CalendarInfo is a stored calendar.
type CalendarInfo struct {
	ID          int64
	Name        string
	Description string
	// Owner is the campaign an inline calendar belongs to ("" = shared).
	Owner    string
	Calendar *calendar.Calendar
}

// Spec renders the calendar in its file form.
func (c *CalendarInfo) Spec() dialer.CalendarSpec {
	s := dialer.SpecFromCalendar(c.Name, c.Calendar)
	s.Description = c.Description
	return s
}

type calendarRow struct {
	ID          int64          `db:"id"`
	Name        string         `db:"name"`
	Description string         `db:"description"`
	Timezone    string         `db:"timezone"`
	ValidFrom   sql.NullInt64  `db:"valid_from"`
	ValidUntil  sql.NullInt64  `db:"valid_until"`
	Owner       sql.NullString `db:"owner"`
}

// inlineCalendarName is the stored name of a campaign's inline calendar.
// ':' cannot appear in a user-given name, so the two never collide.
func inlineCalendarName(campaign string) string { return "campaign:" + campaign }

// ApplyCalendar creates or updates a shared calendar by name. Applying the
// same calendar twice reports Unchanged and writes nothing.
func (d *DB) ApplyCalendar(ctx context.Context, spec *dialer.CalendarSpec) (Change, error) {
	cal, err := spec.Build("")
	if err != nil {
		return "", err
	}
	var change Change
	err = d.tx(ctx, func(tx *sqlx.Tx) error {
		old, err := loadCalendarByName(ctx, tx, spec.Name)
		switch {
		case errors.Is(err, ErrNotFound):
			change = Created
		case err != nil:
			return err
		case old.Owner != "":
			return fmt.Errorf("calendar %q belongs to campaign %q", spec.Name, old.Owner)
		case old.Description == spec.Description && sameCalendar(old.Calendar, cal):
			change = Unchanged
			return nil
		default:
			change = Updated
		}
		_, err = writeCalendar(ctx, tx, spec.Name, spec.Description, 0, cal, d.now())
		return err
	})
	if err != nil {
		return "", fmt.Errorf("apply calendar %s: %w", spec.Name, err)
	}
	return change, nil
}

// sameCalendar compares two calendars by their file form, which is
// canonical (sorted, re-rendered periods).
func sameCalendar(a, b *calendar.Calendar) bool {
	return reflect.DeepEqual(dialer.SpecFromCalendar("", a), dialer.SpecFromCalendar("", b))
}

// writeCalendar upserts a calendar by name and replaces its periods and
// special dates. owner is the owning campaign's id for inline calendars.
func writeCalendar(ctx context.Context, tx *sqlx.Tx, name, desc string, owner int64, c *calendar.Calendar, now time.Time) (int64, error) {
	var ownerArg any
	if owner != 0 {
		ownerArg = owner
	}
	var id int64
	err := tx.GetContext(ctx, &id, `
		INSERT INTO calendars (name, description, timezone, valid_from, valid_until, owner_campaign_id, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET
			description = excluded.description,
			timezone = excluded.timezone,
			valid_from = excluded.valid_from,
			valid_until = excluded.valid_until,
			owner_campaign_id = excluded.owner_campaign_id,
			updated_at = excluded.updated_at
		RETURNING id`,
		name, desc, c.Location.String(), nullMS(c.ValidFrom), nullMS(c.ValidUntil), ownerArg, toMS(now))
	if err != nil {
		return 0, fmt.Errorf("write calendar: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM calendar_periods WHERE calendar_id = ?`, id); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM calendar_specials WHERE calendar_id = ?`, id); err != nil {
		return 0, err
	}
	for wd, periods := range c.Weekly {
		for _, p := range periods {
			if _, err := tx.ExecContext(ctx,
				`INSERT INTO calendar_periods (calendar_id, weekday, start_min, end_min) VALUES (?, ?, ?, ?)`,
				id, wd, int(p.Start), int(p.End)); err != nil {
				return 0, fmt.Errorf("write calendar period: %w", err)
			}
		}
	}
	for i, sp := range c.Special {
		var sid int64
		if err := tx.GetContext(ctx, &sid, `
			INSERT INTO calendar_specials (calendar_id, position, name, from_date, to_date)
			VALUES (?, ?, ?, ?, ?) RETURNING id`,
			id, i, sp.Name, sp.From.String(), sp.To.String()); err != nil {
			return 0, fmt.Errorf("write special date: %w", err)
		}
		for _, p := range sp.Periods {
			if _, err := tx.ExecContext(ctx,
				`INSERT INTO calendar_special_periods (special_id, start_min, end_min) VALUES (?, ?, ?)`,
				sid, int(p.Start), int(p.End)); err != nil {
				return 0, fmt.Errorf("write special period: %w", err)
			}
		}
	}
	return id, nil
}

const calendarSelect = `
	SELECT cal.id, cal.name, cal.description, cal.timezone, cal.valid_from, cal.valid_until,
	       camp.name AS owner
	FROM calendars cal
	LEFT JOIN campaigns camp ON camp.id = cal.owner_campaign_id`

func loadCalendarByName(ctx context.Context, q sqlx.QueryerContext, name string) (*CalendarInfo, error) {
	var row calendarRow
	if err := sqlx.GetContext(ctx, q, &row, calendarSelect+` WHERE cal.name = ?`, name); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("calendar %q: %w", name, ErrNotFound)
		}
		return nil, err
	}
	return loadCalendarBody(ctx, q, row)
}

func loadCalendarByID(ctx context.Context, q sqlx.QueryerContext, id int64) (*CalendarInfo, error) {
	var row calendarRow
	if err := sqlx.GetContext(ctx, q, &row, calendarSelect+` WHERE cal.id = ?`, id); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("calendar %d: %w", id, ErrNotFound)
		}
		return nil, err
	}
	return loadCalendarBody(ctx, q, row)
}

func loadCalendarBody(ctx context.Context, q sqlx.QueryerContext, row calendarRow) (*CalendarInfo, error) {
	loc, err := time.LoadLocation(row.Timezone)
	if err != nil {
		return nil, fmt.Errorf("calendar %s: stored timezone: %w", row.Name, err)
	}
	c := &calendar.Calendar{Location: loc, ValidFrom: fromNullMS(row.ValidFrom), ValidUntil: fromNullMS(row.ValidUntil)}
	var periods []struct {
		Weekday int `db:"weekday"`
		Start   int `db:"start_min"`
		End     int `db:"end_min"`
	}
	if err := sqlx.SelectContext(ctx, q, &periods,
		`SELECT weekday, start_min, end_min FROM calendar_periods WHERE calendar_id = ? ORDER BY weekday, start_min`, row.ID); err != nil {
		return nil, fmt.Errorf("calendar %s periods: %w", row.Name, err)
	}
	for _, p := range periods {
		c.Weekly[p.Weekday] = append(c.Weekly[p.Weekday], calendar.Period{Start: calendar.Clock(p.Start), End: calendar.Clock(p.End)})
	}
	var specials []struct {
		ID   int64  `db:"id"`
		Name string `db:"name"`
		From string `db:"from_date"`
		To   string `db:"to_date"`
	}
	if err := sqlx.SelectContext(ctx, q, &specials,
		`SELECT id, name, from_date, to_date FROM calendar_specials WHERE calendar_id = ? ORDER BY position`, row.ID); err != nil {
		return nil, fmt.Errorf("calendar %s special dates: %w", row.Name, err)
	}
	for _, s := range specials {
		from, err1 := calendar.ParseDate(s.From)
		to, err2 := calendar.ParseDate(s.To)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("calendar %s: stored special date: %w", row.Name, err)
		}
		sp := calendar.Special{From: from, To: to, Name: s.Name}
		var ps []struct {
			Start int `db:"start_min"`
			End   int `db:"end_min"`
		}
		if err := sqlx.SelectContext(ctx, q, &ps,
			`SELECT start_min, end_min FROM calendar_special_periods WHERE special_id = ? ORDER BY start_min`, s.ID); err != nil {
			return nil, err
		}
		for _, p := range ps {
			sp.Periods = append(sp.Periods, calendar.Period{Start: calendar.Clock(p.Start), End: calendar.Clock(p.End)})
		}
		c.Special = append(c.Special, sp)
	}
	return &CalendarInfo{ID: row.ID, Name: row.Name, Description: row.Description, Owner: row.Owner.String, Calendar: c}, nil
}

// Calendar returns a calendar by name.
func (d *DB) Calendar(ctx context.Context, name string) (*CalendarInfo, error) {
	return loadCalendarByName(ctx, d.db, name)
}

// Calendars lists every calendar, shared ones first, by name.
func (d *DB) Calendars(ctx context.Context) ([]*CalendarInfo, error) {
	var rows []calendarRow
	if err := d.db.SelectContext(ctx, &rows, calendarSelect+` ORDER BY cal.owner_campaign_id IS NOT NULL, cal.name`); err != nil {
		return nil, fmt.Errorf("list calendars: %w", err)
	}
	out := make([]*CalendarInfo, 0, len(rows))
	for _, r := range rows {
		c, err := loadCalendarBody(ctx, d.db, r)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}
