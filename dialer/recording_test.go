package dialer_test

import (
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer"
)

const recordBase = `
name: rec
mode: ivr
dial: {template: "loopback/{number}/dialer_lab"}
ivr: {extension: dialer_ivr_survey, context: dialer_ivr}
calendar: cal
`

func TestReadCampaign_RecordAndCapture(t *testing.T) {
	doc := strings.Replace(recordBase, "context: dialer_ivr}", "context: dialer_ivr, capture: [survey_q1, survey_q2]}", 1) +
		`record: {when: answer, path: "{campaign}/{date}/{attempt}-{uuid}.wav", stereo: true}`
	c, err := dialer.ReadCampaign(strings.NewReader(doc), "t")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Record, (dialer.RecordSpec{When: "answer", Path: "{campaign}/{date}/{attempt}-{uuid}.wav", Stereo: true}); got != want {
		t.Errorf("record = %+v, want %+v", got, want)
	}
	if got := strings.Join(c.IVR.Capture, ","); got != "survey_q1,survey_q2" {
		t.Errorf("capture = %q", got)
	}
}

func TestReadCampaign_RecordAndCaptureErrors(t *testing.T) {
	progressive := strings.NewReplacer("mode: ivr", "mode: progressive",
		"ivr: {extension: dialer_ivr_survey, context: dialer_ivr}\n", "").Replace(recordBase)
	many := make([]string, 21)
	for i := range many {
		many[i] = "v" + strings.Repeat("x", i+1)
	}
	cases := []struct{ name, doc, want string }{
		{"unknown placeholder", recordBase + `record: {when: answer, path: "{campaign}/{number}.wav"}`,
			"record.path: \"{campaign}/{number}.wav\": unknown placeholder {number}"},
		{"dot dot", recordBase + `record: {when: answer, path: "../{uuid}.wav"}`, "record.path: \"../{uuid}.wav\": no . or .. path elements"},
		{"format", recordBase + `record: {when: answer, path: "{uuid}.mp3"}`, "record.path: \"{uuid}.mp3\": the file name must end in .wav"},
		{"unsafe", recordBase + `record: {when: answer, path: "{uuid} x.wav"}`, "record.path: \"{uuid} x.wav\": letters, digits"},
		{"no path", recordBase + `record: {when: answer}`, "record.path: required"},
		{"when", recordBase + `record: {when: ring, path: "{uuid}.wav"}`, "record.when: \"ring\": must be answer or bridge"},
		{"when missing", recordBase + `record: {path: "{uuid}.wav"}`, "record.when: required when record is set"},
		{"bridge in ivr", recordBase + `record: {when: bridge, path: "{uuid}.wav"}`, "record.when: bridge: an ivr campaign has no bridge"},
		{"capture name", strings.Replace(recordBase, "context: dialer_ivr}", "context: dialer_ivr, capture: [Survey-Q1]}", 1),
			"ivr.capture[0]: \"Survey-Q1\": lower-case letters"},
		{"capture twice", strings.Replace(recordBase, "context: dialer_ivr}", "context: dialer_ivr, capture: [a, a]}", 1),
			"ivr.capture[1]: \"a\" is listed twice"},
		{"capture many", strings.Replace(recordBase, "context: dialer_ivr}", "context: dialer_ivr, capture: ["+strings.Join(many, ", ")+"]}", 1),
			"ivr.capture: 21 variables: at most 20"},
		{"capture progressive", progressive + "ivr: {capture: [q1]}", "ivr.capture: only for mode ivr"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := dialer.ReadCampaign(strings.NewReader(tc.doc), "t")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestRecordSpec_RecordingPath(t *testing.T) {
	at := time.Date(2026, 12, 3, 23, 30, 5, 0, time.FixedZone("X", -5*3600))
	call := dialer.RecordingCall{Campaign: "survey", MemberID: 7, AttemptID: 42, UUID: "ab-12", At: at}
	cases := []struct{ path, want, err string }{
		{"{campaign}/{date}/{member}-{attempt}-{uuid}-{time}.wav", "survey/2026-12-04/7-42-ab-12-043005.wav", ""},
		{"/var/rec/{uuid}.wav", "/var/rec/ab-12.wav", ""},
	}
	for _, tc := range cases {
		got, err := dialer.RecordSpec{When: "answer", Path: tc.path}.RecordingPath(call)
		if err != nil || got != tc.want {
			t.Errorf("RecordingPath(%q) = %q, %v; want %q", tc.path, got, err, tc.want)
		}
	}
	dots := call
	dots.Campaign = ".."
	if got, err := (dialer.RecordSpec{When: "answer", Path: "{campaign}/{uuid}.wav"}).RecordingPath(dots); err == nil {
		t.Errorf("campaign \"..\": got %q, want an error", got)
	}
}
