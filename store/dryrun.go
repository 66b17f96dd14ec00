package store

// SetDryRun makes every later change through the DB's transactions run,
// with all its checks, and then roll back: the apply commands' --dry-run
// say what would change and write nothing. Call it after Open (whose
// migrations must commit) and before the DB is shared. Statements outside
// a transaction are not covered; no apply runs one.
func (d *DB) SetDryRun() { d.dryRun = true }
