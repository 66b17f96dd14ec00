// Package memberfile decodes member files, CSV with a header row or JSON
// lines, into validated members for `dialer member import`.
//
// Decode reads the file once, in batches. Batches are validated in parallel
// (phone number normalisation dominates the work) and then handled strictly
// in file order by the calling goroutine: duplicate numbers are looked for
// there, and the emit and reject callbacks are called there, so callbacks need
// no locking and see rows in the order of the file.
package memberfile

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fsdialer/dialer/dialer/phone"
	"golang.org/x/sync/errgroup"
)

// Format is the syntax of a member file.
type Format string

// The supported formats.
const (
	CSV   Format = "csv"   // a header row, then one member per record (see Mapping)
	JSONL Format = "jsonl" // one JSON object per line (see Decode)
)

// Number is one phone number of a member.
type Number struct {
	Number   string // E.164
	Type     string // e.g. "mobile"; may be empty
	Position int    // 1-based, the order in which the member's numbers are tried
}

// Member is a validated member.
type Member struct {
	Line        int // 1-based line: for CSV the physical line where the record starts (the header is line 1)
	Name        string
	Priority    int       // 1 (highest) .. 5, default 3
	Timezone    string    // IANA name, or "" for none
	ExpiresAt   time.Time // UTC; zero means no expiry (its call window's end, not_after)
	NotBefore   time.Time // UTC; the start of its call window, zero for none
	ExternalKey string
	Numbers     []Number          // at least one, ordered by Position
	Variables   map[string]string // lowercase names; nil when there are none
}

// RowError is a row that was rejected, with where and why.
type RowError struct {
	Line   int    // 1-based line where the row starts
	Field  string // the CSV column (for JSON lines the key path, e.g. "communications[0].number"); "" for the row as a whole
	Reason string
	Raw    string // the row's text, for a rejects file: a CSV record re-encoded (or as found, if it could not be parsed), a JSON line as found
}

// Error describes the row error, e.g.
// `line 7, column phone2: "12": not a valid phone number for region US`.
func (e RowError) Error() string {
	if e.Field == "" {
		return "line " + strconv.Itoa(e.Line) + ": " + e.Reason
	}
	return "line " + strconv.Itoa(e.Line) + ", column " + e.Field + ": " + e.Reason
}

// Options tune Decode.
type Options struct {
	DefaultRegion string         // region for national numbers, e.g. "US"
	Location      *time.Location // for expiry values without an offset; nil means UTC
	// Known reports numbers already in the campaign; a row holding one is a
	// duplicate. It may be nil. It is called from the goroutine that called
	// Decode, in file order.
	Known func(e164 string) bool
	// Comma is the CSV field delimiter; 0 means ','. See ParseDelimiter.
	Comma rune
	// Encoding is the file's character encoding; "" means UTF-8. See
	// NewTextReader, which Decode reads the file through.
	Encoding   string
	Workers    int // validating goroutines; 0 means runtime.GOMAXPROCS(0)
	BatchSize  int // rows per batch; 0 means 1000
	OnProgress func(bytesRead int64)
}

// Stats counts what Decode did. Rows == Members + Rejected; Duplicates
// counts the rejected rows that repeat a number of an earlier row of the
// file or a Known one.
type Stats struct {
	Rows, Members, Rejected, Duplicates int
}

const defaultBatchSize = 1000

// Decode reads members from r in format f and calls emit with each batch of
// valid members and reject with each bad row, both in file order (the
// rejects of a batch come before its members are emitted). Either callback may
// be nil; an error from one aborts Decode with that error.
//
// CSV files start with a header. The mapping m names the columns with the
// numbers and the member's fields; every other column becomes a variable
// named after its lowercased header. JSON lines files ignore m; each
// non-blank line is an object like
//
//	{"name":"Ann","priority":2,"timezone":"Europe/London","expires_at":"2026-12-31T18:00:00Z",
//	 "external_key":"crm-1","communications":[{"number":"+442071234567","type":"mobile","position":1}],
//	 "variables":{"plan":"gold"}}
//
// A row is rejected when: a number is not valid (phone.Normalize, read in
// o.DefaultRegion) or the row has none; a number repeats within the row, an
// earlier accepted row (the later row is the bad one) or a Known number; the
// priority is not 1..5; the timezone does not load (or is "Local"); the expiry
// or not_before is not RFC 3339, "2006-01-02 15:04" or "2006-01-02" (the
// last two in o.Location, the last one meaning the start of that day), or
// not_before is not before the expiry; a value is not
// UTF-8, has a control character or is longer than 1024 bytes; a CSV record
// has the wrong number of fields or a broken quote; a JSON line is not valid,
// has an unknown field or a bad variable name.
//
// The file is read through NewTextReader in o.Encoding, so a UTF-8 byte
// order mark is dropped. Problems with the file as a whole (empty, JSON
// given as CSV, unreadable header, mapped column missing, with a hint at
// the delimiter when the header looks like several columns joined by
// another one, a column that is not a valid variable name) are returned
// before anything is emitted; they name the line but not the file, which
// the caller adds. A read error, or a quote left open to the end of the
// file, is returned when reached, after the rows before it were handled.
// Decode stops when ctx is done, between reads: close r to interrupt a read
// that blocks.
func Decode(ctx context.Context, r io.Reader, f Format, m Mapping, o Options,
	emit func(batch []Member) error,
	reject func(RowError) error,
) (Stats, error) {
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.BatchSize <= 0 {
		o.BatchSize = defaultBatchSize
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.DefaultRegion != "" && !phone.ValidRegion(o.DefaultRegion) {
		return Stats{}, fmt.Errorf(`default region %q: not a known region code (want e.g. "US")`, o.DefaultRegion)
	}
	comma := ','
	if o.Comma != 0 {
		if _, err := ParseDelimiter(string(o.Comma)); err != nil {
			return Stats{}, err
		}
		comma = o.Comma
	}
	r, err := NewTextReader(r, o.Encoding)
	if err != nil {
		return Stats{}, err
	}
	var d decoder
	switch f {
	case CSV:
		cd, err := newCSVDecoder(r, m, comma)
		if err != nil {
			return Stats{}, err
		}
		d = cd
	case JSONL:
		d = newJSONDecoder(r)
	default:
		return Stats{}, fmt.Errorf("member file format %q: want %q or %q", f, CSV, JSONL)
	}
	p := pipeline{d: d, o: o, emit: emit, reject: reject, seen: numberSet{short: map[uint64]int{}}}
	return p.run(ctx)
}

// decoder is one file format: it reads records and validates them.
type decoder interface {
	// fill appends up to n records to b and sets b.end; it reports whether
	// the input is exhausted, or a fatal error (ending the file at b).
	fill(b *batch, n int) (done bool, err error)
	// validate sets rec.member, or rec.err. It is called concurrently.
	validate(v *validator, rec *record)
}

// record is one row on its way through the pipeline.
type record struct {
	line   int
	fields []string // CSV
	text   string   // JSON line; text of a CSV record that did not parse
	err    *RowError
	member Member
	// numberFields names where each of member.Numbers came from.
	numberFields []string
}

type batch struct {
	seq  int
	end  int64 // input bytes consumed after the batch
	recs []record
	err  error // fatal error after the records
}

type pipeline struct {
	d      decoder
	o      Options
	emit   func([]Member) error
	reject func(RowError) error
	seen   numberSet // accepted numbers and the line of their row
	stats  Stats
}

// run reads batches in one goroutine, validates them in o.Workers goroutines
// and handles them in file order in the caller's goroutine. At most
// 2*Workers+2 batches are in flight, whatever order workers finish in.
func (p *pipeline) run(ctx context.Context) (Stats, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, gctx := errgroup.WithContext(ctx)
	jobs := make(chan *batch)
	results := make(chan *batch, p.o.Workers)
	tokens := make(chan struct{}, 2*p.o.Workers+2)

	g.Go(func() error {
		defer close(jobs)
		for seq := 0; ; seq++ {
			select {
			case tokens <- struct{}{}:
			case <-gctx.Done():
				return gctx.Err()
			}
			b := &batch{seq: seq, recs: make([]record, 0, p.o.BatchSize)}
			done, err := p.d.fill(b, p.o.BatchSize)
			b.err = err
			select {
			case jobs <- b:
			case <-gctx.Done():
				return gctx.Err()
			}
			if done || err != nil {
				return nil
			}
		}
	})
	var workers sync.WaitGroup
	for range p.o.Workers {
		workers.Add(1)
		g.Go(func() error {
			defer workers.Done()
			v := newValidator(p.o)
			for b := range jobs {
				for i := range b.recs {
					if b.recs[i].err == nil {
						p.d.validate(v, &b.recs[i])
					}
				}
				select {
				case results <- b:
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			return nil
		})
	}
	g.Go(func() error {
		workers.Wait()
		close(results)
		return nil
	})

	var err error
	pending := map[int]*batch{}
	next := 0
	for b := range results {
		if err != nil {
			continue // draining after a stop
		}
		pending[b.seq] = b
		for pending[next] != nil && err == nil {
			b := pending[next]
			delete(pending, next)
			next++
			if err = ctx.Err(); err == nil {
				err = p.handle(b)
			}
			<-tokens
		}
		if err != nil {
			cancel()
		}
	}
	gerr := g.Wait()
	if err == nil && gerr != nil {
		err = gerr
	}
	return p.stats, err
}

// handle finishes a batch in file order: duplicates across rows, then the
// callbacks.
func (p *pipeline) handle(b *batch) error {
	members := make([]Member, 0, len(b.recs))
	for i := range b.recs {
		rec := &b.recs[i]
		p.stats.Rows++
		if rec.err == nil && p.duplicate(rec) {
			p.stats.Duplicates++
		}
		if rec.err != nil {
			p.stats.Rejected++
			if p.reject != nil {
				if err := p.reject(*rec.err); err != nil {
					return err
				}
			}
			continue
		}
		for _, n := range rec.member.Numbers {
			p.seen.add(n.Number, rec.line)
		}
		members = append(members, rec.member)
	}
	p.stats.Members += len(members)
	if len(members) > 0 && p.emit != nil {
		if err := p.emit(members); err != nil {
			return err
		}
	}
	if p.o.OnProgress != nil {
		p.o.OnProgress(b.end)
	}
	return b.err
}

// duplicate sets rec.err and reports true when one of the row's numbers is
// already taken by an earlier accepted row or by the campaign.
func (p *pipeline) duplicate(rec *record) bool {
	for i, n := range rec.member.Numbers {
		reason := ""
		if line, ok := p.seen.get(n.Number); ok {
			reason = fmt.Sprintf("duplicate number %s: already on line %d", n.Number, line)
		} else if p.o.Known != nil && p.o.Known(n.Number) {
			reason = fmt.Sprintf("duplicate number %s: already in the campaign", n.Number)
		}
		if reason != "" {
			rec.fail(rec.numberFields[i], reason)
			return true
		}
	}
	return false
}

// fail rejects the record for the named field.
func (rec *record) fail(field, reason string) {
	rec.err = &RowError{Line: rec.line, Field: field, Reason: reason, Raw: rec.raw()}
}

// raw is the record's text for a rejects file.
func (rec *record) raw() string {
	if rec.fields == nil {
		return rec.text
	}
	return encodeCSV(rec.fields)
}

// numberSet maps E.164 numbers to a line. Numbers of up to 19 digits (all
// real ones) are keyed by their value, which takes a third of the memory of
// string keys: a million-member file holds millions of them.
type numberSet struct {
	short map[uint64]int
	long  map[string]int
}

// key returns the number's digits as an integer, or false when they do not
// fit. E.164 numbers have no leading zero, so the value identifies them.
func (s *numberSet) key(e164 string) (uint64, bool) {
	digits := strings.TrimPrefix(e164, "+")
	if len(digits) > 19 {
		return 0, false
	}
	v, err := strconv.ParseUint(digits, 10, 64)
	return v, err == nil
}

func (s *numberSet) get(e164 string) (int, bool) {
	if k, ok := s.key(e164); ok {
		line, found := s.short[k]
		return line, found
	}
	line, found := s.long[e164]
	return line, found
}

func (s *numberSet) add(e164 string, line int) {
	if k, ok := s.key(e164); ok {
		s.short[k] = line
		return
	}
	if s.long == nil {
		s.long = map[string]int{}
	}
	s.long[e164] = line
}
