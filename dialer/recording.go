package dialer

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Recording start points (RecordSpec.When).
const (
	// RecordAnswer records the customer leg from its answer, in any mode.
	RecordAnswer = "answer"
	// RecordBridge records the customer leg from its bridge to the agent
	// (agent modes).
	RecordBridge = "bridge"
)

// MaxCaptures bounds ivr.capture: every name is a variable the dialer
// follows on every call of the campaign.
const MaxCaptures = 20

// RecordSpec is a campaign's call recording: when it starts, the file it
// goes to (a template; relative paths are under FreeSWITCH's recordings
// directory) and whether both legs go to separate channels
// (FreeSWITCH's RECORD_STEREO).
type RecordSpec struct {
	When   string `yaml:"when,omitempty" json:"when,omitempty"`
	Path   string `yaml:"path,omitempty" json:"path,omitempty"`
	Stereo bool   `yaml:"stereo,omitempty" json:"stereo,omitempty"`
}

// Enabled reports whether the campaign records its calls.
func (r RecordSpec) Enabled() bool { return r.When != "" }

// RecordingCall names one call for a recording path template.
type RecordingCall struct {
	Campaign  string
	MemberID  int64
	AttemptID int64
	UUID      string
	// At is when the recording starts; {date} and {time} are read in UTC.
	At time.Time
}

// recordPlaceholders are the placeholders a recording path may use.
var recordPlaceholders = map[string]bool{
	"campaign": true, "member": true, "attempt": true, "uuid": true, "date": true, "time": true,
}

var (
	// recordLiteralRe is what a path may hold outside its placeholders:
	// nothing that FreeSWITCH's API split, its file-string syntax
	// ({...}, [...], !, |) or a shell would read.
	recordLiteralRe = regexp.MustCompile(`^[A-Za-z0-9._/-]*$`)
	// recordValueRe is what a placeholder's value may be.
	recordValueRe = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	recordPlaceRe = regexp.MustCompile(`\{([^{}]*)\}`)
)

// recordFormats are the file extensions FreeSWITCH records without extra
// modules; the extension picks the format.
var recordFormats = []string{".wav"}

func (c *Campaign) validateRecording(p *problems) {
	for i, name := range c.IVR.Capture {
		if !captureNameRe.MatchString(name) {
			p.add(index("ivr.capture", i), "%q: lower-case letters, digits and '_' only (a channel variable name)", name)
		}
		for _, prev := range c.IVR.Capture[:i] {
			if prev == name {
				p.add(index("ivr.capture", i), "%q is listed twice", name)
			}
		}
	}
	if len(c.IVR.Capture) > MaxCaptures {
		p.add("ivr.capture", "%d variables: at most %d", len(c.IVR.Capture), MaxCaptures)
	}
	if len(c.IVR.Capture) > 0 && c.Mode != ModeIVR && c.Mode != "" {
		p.add("ivr.capture", "only for mode %s; this campaign is %s", ModeIVR, c.Mode)
	}
	r := c.Record
	switch r.When {
	case "":
		if r.Path != "" || r.Stereo {
			p.add("record.when", "required when record is set: answer or bridge")
		}
		return
	case RecordAnswer:
	case RecordBridge:
		if c.Mode == ModeIVR {
			p.add("record.when", "bridge: an ivr campaign has no bridge; use answer")
		}
	default:
		p.add("record.when", "%q: must be answer or bridge", r.When)
	}
	if err := checkRecordPath(r.Path); err != nil {
		p.add("record.path", "%v", err)
	}
}

var captureNameRe = regexp.MustCompile(`^[a-z0-9_]{1,64}$`)

// checkRecordPath checks a recording path template.
func checkRecordPath(t string) error {
	if t == "" {
		return fmt.Errorf("required, e.g. {campaign}/{date}/{uuid}.wav")
	}
	if len(t) > 512 {
		return fmt.Errorf("at most 512 bytes")
	}
	for _, m := range recordPlaceRe.FindAllStringSubmatch(t, -1) {
		if !recordPlaceholders[m[1]] {
			return fmt.Errorf("%q: unknown placeholder {%s}; use {campaign}, {member}, {attempt}, {uuid}, {date} or {time}", t, m[1])
		}
	}
	rest := recordPlaceRe.ReplaceAllString(t, "x")
	if !recordLiteralRe.MatchString(rest) {
		return fmt.Errorf("%q: letters, digits, '.', '_', '-' and '/' only outside {placeholders}", t)
	}
	for _, part := range strings.Split(t, "/") {
		if part == ".." || part == "." {
			return fmt.Errorf("%q: no . or .. path elements", t)
		}
	}
	if strings.Contains(t, "//") || strings.HasSuffix(t, "/") {
		return fmt.Errorf("%q: empty path element", t)
	}
	ok := false
	for _, ext := range recordFormats {
		if strings.HasSuffix(t, ext) && len(t) > len(ext) && !strings.HasSuffix(t, "/"+ext) {
			ok = true
		}
	}
	if !ok {
		return fmt.Errorf("%q: the file name must end in %s (the extension picks the format)", t, strings.Join(recordFormats, " or "))
	}
	return nil
}

// RecordingPath renders the campaign's recording path for one call. It
// refuses a value that could leave the path's directory or change its
// meaning (a campaign name of dots, say), so that what reaches FreeSWITCH
// is made of safe parts only.
func (r RecordSpec) RecordingPath(call RecordingCall) (string, error) {
	at := call.At.UTC()
	values := map[string]string{
		"campaign": call.Campaign,
		"member":   strconv.FormatInt(call.MemberID, 10),
		"attempt":  strconv.FormatInt(call.AttemptID, 10),
		"uuid":     call.UUID,
		"date":     at.Format("2006-01-02"),
		"time":     at.Format("150405"),
	}
	var bad error
	out := recordPlaceRe.ReplaceAllStringFunc(r.Path, func(m string) string {
		name := m[1 : len(m)-1]
		v := values[name]
		if !recordValueRe.MatchString(v) || strings.Trim(v, ".") == "" {
			bad = fmt.Errorf("recording path %q: {%s} is %q, which cannot be part of a path", r.Path, name, v)
		}
		return v
	})
	if bad != nil {
		return "", bad
	}
	if err := checkRecordPath(out); err != nil {
		return "", fmt.Errorf("recording path: %w", err)
	}
	return out, nil
}
