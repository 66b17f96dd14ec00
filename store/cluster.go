package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
)

// Several daemons on one PostgreSQL database. Each daemon registers and
// holds a lease it renews; the attempts it starts are its own (their
// daemon_id), and only it follows them. A daemon whose lease ran out is
// taken for dead: another adopts its open attempts (AdoptOrphans) and
// reconciles them with the switch, as after a restart. Claims hold the
// campaign's lines and calls per interval and the global limits across
// all daemons: each claim transaction locks the global pacing row and
// the campaign's row, counts the open attempts and draws from shared
// rate buckets. SQLite has one daemon (its lock file) and none of this.

// SharedLimits are the global limits the daemons' claims hold together:
// the calls in progress and originates per second of all of them.
type SharedLimits struct {
	MaxCalls int
	MaxCPS   float64
}

// cluster is a DB's membership; the zero value is none.
type cluster struct {
	mu     sync.Mutex
	id     int64
	limits SharedLimits
}

func (c *cluster) daemon() (int64, SharedLimits) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.id, c.limits
}

// Daemon is one daemon registered on the database.
type Daemon struct {
	ID         int64     `db:"id" json:"id"`
	Host       string    `db:"host" json:"host"`
	PID        int       `db:"pid" json:"pid"`
	StartedAt  time.Time `json:"started_at"`
	LeaseUntil time.Time `json:"lease_until"`
	StoppedAt  time.Time `json:"stopped_at"`
}

// Shared reports whether several daemons may work this database at once:
// PostgreSQL (a SQLite file has one daemon, which holds its lock file).
func (d *DB) Shared() bool { return d.pg() }

// ErrNotShared: the operation is for a database several daemons share.
var ErrNotShared = errors.New("several daemons share a PostgreSQL database only")

// JoinCluster registers the daemon (host, pid) with a lease of lease from
// now, and makes this DB its: the attempts it starts are the daemon's,
// OpenAttempts returns only those, and claims hold limits across daemons.
func (d *DB) JoinCluster(ctx context.Context, host string, pid int, lease time.Duration, limits SharedLimits) (int64, error) {
	if !d.Shared() {
		return 0, ErrNotShared
	}
	now := d.now()
	var id int64
	if err := d.db.GetContext(ctx, &id, `
		INSERT INTO daemons (host, pid, started_at, lease_until) VALUES (?, ?, ?, ?) RETURNING id`,
		host, pid, toMS(now), toMS(now.Add(lease))); err != nil {
		return 0, fmt.Errorf("register daemon: %w", err)
	}
	d.cluster.mu.Lock()
	d.cluster.id, d.cluster.limits = id, limits
	d.cluster.mu.Unlock()
	return id, nil
}

// ErrLeaseLost: the daemon's lease ran out before it was renewed; other
// daemons may have adopted its calls.
var ErrLeaseLost = errors.New("the daemon's lease ran out before it was renewed")

// RenewLease extends the daemon's lease to lease from now. It fails with
// ErrLeaseLost when the lease had already run out: the daemon must stop
// working, since another may be following its calls.
func (d *DB) RenewLease(ctx context.Context, lease time.Duration) error {
	id, _ := d.cluster.daemon()
	if id == 0 {
		return ErrNotShared
	}
	now := d.now()
	res, err := d.db.ExecContext(ctx, `
		UPDATE daemons SET lease_until = ? WHERE id = ? AND lease_until >= ? AND stopped_at IS NULL`,
		toMS(now.Add(lease)), id, toMS(now))
	if err != nil {
		return fmt.Errorf("renew the daemon's lease: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("daemon %d: %w", id, ErrLeaseLost)
	}
	return nil
}

// LeaveCluster ends the daemon's lease now, at its shutdown: the attempts
// it leaves open are adopted by another daemon at once.
func (d *DB) LeaveCluster(ctx context.Context) error {
	id, _ := d.cluster.daemon()
	if id == 0 {
		return nil
	}
	// The lease ends a moment before now: over at once for everyone.
	now := toMS(d.now())
	if _, err := d.db.ExecContext(ctx, `UPDATE daemons SET lease_until = ?, stopped_at = ? WHERE id = ?`,
		now-1, now, id); err != nil {
		return fmt.Errorf("end the daemon's lease: %w", err)
	}
	if _, err := d.db.ExecContext(ctx, `UPDATE agents SET daemon_id = 0 WHERE daemon_id = ?`, id); err != nil {
		return fmt.Errorf("give the daemon's agents up: %w", err)
	}
	return nil
}

// AdoptOrphans makes the open attempts of daemons whose lease ran out by
// now this daemon's, and returns how many; the caller reconciles them. It
// is 0 on a database only one daemon works.
func (d *DB) AdoptOrphans(ctx context.Context, now time.Time) (int, error) {
	id, _ := d.cluster.daemon()
	if id == 0 {
		return 0, nil
	}
	res, err := d.db.ExecContext(ctx, `
		UPDATE attempts SET daemon_id = ?1
		WHERE final = 0 AND daemon_id <> ?1
		  AND (daemon_id = 0 OR daemon_id IN (SELECT id FROM daemons WHERE lease_until < ?2))`,
		id, toMS(now))
	if err != nil {
		return 0, fmt.Errorf("adopt the attempts of dead daemons: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// Daemons lists the daemons registered on the database, newest first,
// at most limit of them.
func (d *DB) Daemons(ctx context.Context, limit int) ([]Daemon, error) {
	var rows []struct {
		ID         int64         `db:"id"`
		Host       string        `db:"host"`
		PID        int           `db:"pid"`
		StartedAt  int64         `db:"started_at"`
		LeaseUntil int64         `db:"lease_until"`
		StoppedAt  sql.NullInt64 `db:"stopped_at"`
	}
	if err := d.db.SelectContext(ctx, &rows, `
		SELECT id, host, pid, started_at, lease_until, stopped_at FROM daemons ORDER BY id DESC LIMIT ?`, limit); err != nil {
		return nil, fmt.Errorf("daemons: %w", err)
	}
	out := make([]Daemon, len(rows))
	for i, r := range rows {
		out[i] = Daemon{ID: r.ID, Host: r.Host, PID: r.PID, StartedAt: fromMS(r.StartedAt), LeaseUntil: fromMS(r.LeaseUntil),
			StoppedAt: fromNullMS(r.StoppedAt)}
	}
	return out, nil
}

// sharedRoom is how many attempts of a campaign the claim transaction tx
// may start at at, holding the limits across daemons; it locks the global
// pacing row, then the campaign's row, until tx ends. taken records the
// attempts started, drawing them from the rate buckets.
type sharedRoom struct {
	tx     *sqlx.Tx
	at     time.Time
	limits SharedLimits
	global *bucketRow
	open   int // open attempts of all campaigns
	byCamp map[int64]*campaignRoom
}

type campaignRoom struct {
	lines, open int
	bucket      *bucketRow // nil: no calls per interval
}

// bucketRow is a shared token bucket as read under its row lock.
type bucketRow struct {
	scope          string
	rate, capacity float64
	tokens         float64
	used           int
}

func newSharedRoom(ctx context.Context, tx *sqlx.Tx, at time.Time, limits SharedLimits) (*sharedRoom, error) {
	r := &sharedRoom{tx: tx, at: at, limits: limits, byCamp: map[int64]*campaignRoom{}}
	var err error
	if r.global, err = lockBucket(ctx, tx, "global", limits.MaxCPS, max(limits.MaxCPS, 1), at); err != nil {
		return nil, err
	}
	if err := tx.GetContext(ctx, &r.open, `SELECT count(*) FROM attempts WHERE final = 0`); err != nil {
		return nil, fmt.Errorf("count the calls in progress: %w", err)
	}
	return r, nil
}

// take reports whether one more attempt of the campaign may start, and
// counts it when so.
func (r *sharedRoom) take(ctx context.Context, campaignID int64) (bool, error) {
	c := r.byCamp[campaignID]
	if c == nil {
		var lim struct {
			Lines    int   `db:"max_lines"`
			Calls    int   `db:"calls_per_interval"`
			Interval int64 `db:"interval_ms"`
		}
		if err := r.tx.GetContext(ctx, &lim, `
			SELECT max_lines, calls_per_interval, interval_ms FROM campaigns WHERE id = ? FOR UPDATE`, campaignID); err != nil {
			return false, fmt.Errorf("lock campaign %d: %w", campaignID, err)
		}
		c = &campaignRoom{lines: lim.Lines}
		if err := r.tx.GetContext(ctx, &c.open, `SELECT count(*) FROM attempts WHERE campaign_id = ? AND final = 0`,
			campaignID); err != nil {
			return false, fmt.Errorf("count the calls of campaign %d: %w", campaignID, err)
		}
		if lim.Calls > 0 && lim.Interval > 0 {
			rate := float64(lim.Calls) / (float64(lim.Interval) / 1000)
			b, err := lockBucket(ctx, r.tx, "campaign:"+strconv.FormatInt(campaignID, 10), rate, float64(lim.Calls), r.at)
			if err != nil {
				return false, err
			}
			c.bucket = b
		}
		r.byCamp[campaignID] = c
	}
	if c.open >= c.lines || r.limits.MaxCalls > 0 && r.open >= r.limits.MaxCalls || !r.global.room() ||
		c.bucket != nil && !c.bucket.room() {
		return false, nil
	}
	c.open++
	r.open++
	r.global.used++
	if c.bucket != nil {
		c.bucket.used++
	}
	return true, nil
}

// done writes the buckets back, less what was taken.
func (r *sharedRoom) done(ctx context.Context) error {
	if err := r.global.store(ctx, r.tx, r.at); err != nil {
		return err
	}
	for _, c := range r.byCamp {
		if c.bucket != nil {
			if err := c.bucket.store(ctx, r.tx, r.at); err != nil {
				return err
			}
		}
	}
	return nil
}

// lockBucket reads a shared bucket under its row lock, filled up to now
// (a new one starts full).
func lockBucket(ctx context.Context, tx *sqlx.Tx, scope string, rate, capacity float64, now time.Time) (*bucketRow, error) {
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO pacing (scope, tokens, filled_at) VALUES (?, ?, ?) ON CONFLICT (scope) DO NOTHING`,
		scope, capacity, toMS(now)); err != nil {
		return nil, fmt.Errorf("pacing %s: %w", scope, err)
	}
	var row struct {
		Tokens   float64 `db:"tokens"`
		FilledAt int64   `db:"filled_at"`
	}
	if err := tx.GetContext(ctx, &row, `SELECT tokens, filled_at FROM pacing WHERE scope = ? FOR UPDATE`, scope); err != nil {
		return nil, fmt.Errorf("lock pacing %s: %w", scope, err)
	}
	b := &bucketRow{scope: scope, rate: rate, capacity: capacity, tokens: row.Tokens}
	if el := float64(toMS(now)-row.FilledAt) / 1000; el > 0 {
		b.tokens = math.Min(capacity, b.tokens+el*rate)
	}
	return b, nil
}

func (b *bucketRow) room() bool { return b.rate <= 0 || b.tokens-float64(b.used) >= 1 }

func (b *bucketRow) store(ctx context.Context, tx *sqlx.Tx, now time.Time) error {
	left := b.tokens - float64(b.used)
	if _, err := tx.ExecContext(ctx, `
		UPDATE pacing SET tokens = ?, filled_at = CASE WHEN filled_at > ? THEN filled_at ELSE ? END WHERE scope = ?`,
		left, toMS(now), toMS(now), b.scope); err != nil {
		return fmt.Errorf("pacing %s: %w", b.scope, err)
	}
	return nil
}

// untake gives back an attempt take counted that was not started (its
// member was no longer waiting).
func (r *sharedRoom) untake(campaignID int64) {
	c := r.byCamp[campaignID]
	c.open--
	r.open--
	r.global.used--
	if c.bucket != nil {
		c.bucket.used--
	}
}

// daemonID is this daemon's id among those sharing the database, 0 when
// it works the database alone.
func (d *DB) daemonID() int64 {
	id, _ := d.cluster.daemon()
	return id
}

// othersAlive reports whether another daemon sharing the database holds
// a lease at now.
func (d *DB) othersAlive(ctx context.Context, now time.Time) (bool, error) {
	id := d.daemonID()
	if id == 0 {
		return false, nil
	}
	var n int
	if err := d.db.GetContext(ctx, &n, `
		SELECT count(*) FROM daemons WHERE id <> ? AND lease_until >= ? AND stopped_at IS NULL`, id, toMS(now)); err != nil {
		return false, fmt.Errorf("daemons alive: %w", err)
	}
	return n > 0, nil
}

// takeAgents makes the agents no live daemon holds the daemon id's: an
// agent is worked by one daemon at a time, until that daemon stops or
// its lease runs out.
func (d *DB) takeAgents(ctx context.Context, id int64) error {
	if _, err := d.db.ExecContext(ctx, `
		UPDATE agents SET daemon_id = ?1
		WHERE daemon_id <> ?1
		  AND (daemon_id = 0 OR daemon_id IN (SELECT id FROM daemons WHERE lease_until < ?2))`,
		id, toMS(d.now())); err != nil {
		return fmt.Errorf("take the agents no daemon works: %w", err)
	}
	return nil
}
