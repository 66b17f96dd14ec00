package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/fsdialer/dialer/store"
	"github.com/spf13/cobra"
)

// exportTime is how exported times are written: RFC 3339 in UTC with the
// milliseconds the store keeps.
const exportTime = "2006-01-02T15:04:05.000Z07:00"

func newExportCmd(a *app) *cobra.Command {
	var members, attempts bool
	var file string
	cmd := &cobra.Command{
		Use:   "export CAMPAIGN (--members | --attempts)",
		Short: "Export a campaign's members or attempts as CSV, JSON or JSON lines",
		Long: `Export a campaign's members (one row each, with their numbers and
variables) or attempts (one row per call, with cause, Q.850 code, billed
seconds, class and agent) as CSV with a header row, a JSON array, or JSON
lines. Rows are streamed from the database, so memory stays flat however
large the campaign.

Times are RFC 3339 in UTC, empty (CSV) or null (JSON) when unset. In CSV a
member's numbers are joined with ";" and its variables are a JSON object;
in JSON they are an array and an object.

With --file the export is written to a temporary file next to FILE and
renamed to FILE only when complete: an interrupted or failed export leaves
no partial file behind.`,
		Example: `  dialer export survey-ivr --attempts > attempts.csv
  dialer export survey-ivr --members -o json --file members.json
  dialer export survey-ivr --attempts -o jsonl | jq -c 'select(.class == "ok")'`,
		Args: cobra.ExactArgs(1),
	}
	out := addOutputFlag(cmd, "csv", "json", "jsonl")
	cmd.Flags().BoolVar(&members, "members", false, "export members")
	cmd.Flags().BoolVar(&attempts, "attempts", false, "export attempts")
	cmd.Flags().StringVar(&file, "file", "", "write to this file instead of standard output")
	cmd.MarkFlagsMutuallyExclusive("members", "attempts")
	cmd.MarkFlagsOneRequired("members", "attempts")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := checkFormat(*out, "csv", "json", "jsonl"); err != nil {
			return err
		}
		ctx := cmd.Context()
		db, err := a.openStoreRead(ctx)
		if err != nil {
			return err
		}
		defer db.Close()
		c, err := findCampaign(ctx, db, args[0], "")
		if err != nil {
			return err
		}
		var dest io.Writer = cmd.OutOrStdout()
		var af *atomicFile
		if file != "" && file != "-" {
			if af, err = createAtomic(file); err != nil {
				return fmt.Errorf("--file %s: %w", file, err)
			}
			defer af.abort()
			dest = af
		}
		what, header := "members", exportMemberHeader
		if attempts {
			what, header = "attempts", exportAttemptHeader
		}
		started := time.Now()
		ew := newExportWriter(dest, *out, header)
		if attempts {
			err = db.ExportAttempts(ctx, c.ID, func(r store.ExportAttempt) error { return ew.write(newAttemptOut(r)) })
		} else {
			err = db.ExportMembers(ctx, c.ID, func(r store.ExportMember) error { return ew.write(newMemberOut(r)) })
		}
		if err != nil {
			return err
		}
		if err := ew.close(); err != nil {
			if af != nil {
				return fmt.Errorf("--file %s: %w", file, err)
			}
			return fmt.Errorf("write export: %w", err)
		}
		if af == nil {
			return nil
		}
		if err := af.commit(); err != nil {
			return fmt.Errorf("--file %s: %w", file, err)
		}
		elapsed := time.Since(started)
		fmt.Fprintf(cmd.OutOrStdout(), "exported %d %s of %s to %s in %s (%.0f rows/s)\n", ew.rows, what, c.Name, file,
			elapsed.Round(time.Millisecond), float64(ew.rows)/max(elapsed.Seconds(), 1e-9))
		return nil
	}
	return cmd
}

// exportRow is one exported row: JSON through its tags, CSV through record.
type exportRow interface {
	record(buf []string) []string
}

var exportMemberHeader = []string{"id", "external_key", "name", "state", "priority", "attempts", "end_cause",
	"last_cause", "due_at", "numbers", "variables"}

// memberOut is an exported member.
type memberOut struct {
	ID          int64           `json:"id"`
	ExternalKey string          `json:"external_key"`
	Name        string          `json:"name"`
	State       string          `json:"state"`
	Priority    int             `json:"priority"`
	Attempts    int             `json:"attempts"`
	EndCause    string          `json:"end_cause"`
	LastCause   string          `json:"last_cause"`
	DueAt       *string         `json:"due_at"`
	Numbers     []string        `json:"numbers"`
	Variables   json.RawMessage `json:"variables"`
}

func newMemberOut(m store.ExportMember) memberOut {
	o := memberOut{ID: m.ID, ExternalKey: m.ExternalKey, Name: m.Name, State: m.State, Priority: m.Priority,
		Attempts: m.Attempts, EndCause: m.EndCause, LastCause: m.LastCause, DueAt: exportTimeOf(m.DueAt),
		Numbers: m.Numbers, Variables: m.Variables}
	if o.Numbers == nil {
		o.Numbers = []string{}
	}
	if len(o.Variables) == 0 {
		o.Variables = json.RawMessage("{}")
	}
	return o
}

func (m memberOut) record(buf []string) []string {
	return append(buf[:0], strconv.FormatInt(m.ID, 10), m.ExternalKey, m.Name, m.State, strconv.Itoa(m.Priority),
		strconv.Itoa(m.Attempts), m.EndCause, m.LastCause, exportString(m.DueAt), strings.Join(m.Numbers, ";"), string(m.Variables))
}

var exportAttemptHeader = []string{"id", "member_id", "external_key", "number", "uuid", "created_at", "answered_at",
	"ended_at", "cause", "q850", "billsec", "class", "counted", "business_result", "agent"}

// attemptOut is an exported attempt; billsec is in seconds with three
// decimals.
type attemptOut struct {
	ID             int64       `json:"id"`
	MemberID       int64       `json:"member_id"`
	ExternalKey    string      `json:"external_key"`
	Number         string      `json:"number"`
	UUID           string      `json:"uuid"`
	CreatedAt      *string     `json:"created_at"`
	AnsweredAt     *string     `json:"answered_at"`
	EndedAt        *string     `json:"ended_at"`
	Cause          string      `json:"cause"`
	Q850           *int        `json:"q850"`
	Billsec        json.Number `json:"billsec"`
	Class          string      `json:"class"`
	Counted        bool        `json:"counted"`
	BusinessResult string      `json:"business_result"`
	Agent          string      `json:"agent"`
}

func newAttemptOut(a store.ExportAttempt) attemptOut {
	o := attemptOut{ID: a.ID, MemberID: a.MemberID, ExternalKey: a.ExternalKey, Number: a.Number, UUID: a.UUID,
		CreatedAt: exportTimeOf(a.CreatedAt), AnsweredAt: exportTimeOf(a.AnsweredAt), EndedAt: exportTimeOf(a.EndedAt),
		Cause: a.Cause, Billsec: json.Number(strconv.FormatFloat(a.Billsec.Seconds(), 'f', 3, 64)),
		Class: a.Class, Counted: a.Counted, BusinessResult: a.BusinessResult, Agent: a.Agent}
	if a.Q850 != 0 {
		q := a.Q850
		o.Q850 = &q
	}
	return o
}

func (a attemptOut) record(buf []string) []string {
	q850 := ""
	if a.Q850 != nil {
		q850 = strconv.Itoa(*a.Q850)
	}
	return append(buf[:0], strconv.FormatInt(a.ID, 10), strconv.FormatInt(a.MemberID, 10), a.ExternalKey, a.Number,
		a.UUID, exportString(a.CreatedAt), exportString(a.AnsweredAt), exportString(a.EndedAt), a.Cause, q850, string(a.Billsec), a.Class,
		strconv.FormatBool(a.Counted), a.BusinessResult, a.Agent)
}

func exportTimeOf(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(exportTime)
	return &s
}

func exportString(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// exportWriter writes rows one at a time as CSV (with a header), a JSON
// array or JSON lines; nothing but the current row is held in memory.
type exportWriter struct {
	format string
	header []string
	w      *bufio.Writer
	csv    *csv.Writer
	buf    bytes.Buffer
	enc    *json.Encoder
	record []string
	rows   int
}

func newExportWriter(w io.Writer, format string, header []string) *exportWriter {
	e := &exportWriter{format: format, header: header, w: bufio.NewWriterSize(w, 64<<10)}
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetEscapeHTML(false)
	if format == "csv" {
		e.csv = csv.NewWriter(e.w)
	}
	return e
}

func (e *exportWriter) write(r exportRow) error {
	first := e.rows == 0
	e.rows++
	if e.csv != nil {
		if first {
			if err := e.csv.Write(e.header); err != nil {
				return err
			}
		}
		e.record = r.record(e.record)
		return e.csv.Write(e.record)
	}
	e.buf.Reset()
	if err := e.enc.Encode(r); err != nil {
		return fmt.Errorf("row %d: %w", e.rows, err)
	}
	if e.format == "json" {
		sep := ",\n"
		if first {
			sep = "[\n"
		}
		if _, err := e.w.WriteString(sep); err != nil {
			return err
		}
		e.buf.Truncate(e.buf.Len() - 1) // the encoder's newline
	}
	_, err := e.w.Write(e.buf.Bytes())
	return err
}

// close ends the document (the header alone for an empty CSV, "[]" for an
// empty JSON array) and flushes it.
func (e *exportWriter) close() error {
	switch {
	case e.csv != nil:
		if e.rows == 0 {
			if err := e.csv.Write(e.header); err != nil {
				return err
			}
		}
		e.csv.Flush()
		if err := e.csv.Error(); err != nil {
			return err
		}
	case e.format == "json" && e.rows == 0:
		if _, err := e.w.WriteString("[]\n"); err != nil {
			return err
		}
	case e.format == "json":
		if _, err := e.w.WriteString("\n]\n"); err != nil {
			return err
		}
	}
	return e.w.Flush()
}
