package memberfile_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer/memberfile"
)

const fullSpec = "numbers=phone1:mobile,phone2:home;name=full_name;priority=prio;timezone=tz;expiry=expires;key=crm_id"

func mustMapping(t testing.TB, spec string) memberfile.Mapping {
	t.Helper()
	m, err := memberfile.ParseMapping(spec)
	if err != nil {
		t.Fatalf("ParseMapping(%q): %v", spec, err)
	}
	return m
}

// result is everything Decode reported.
type result struct {
	members []memberfile.Member
	rejects []memberfile.RowError
	batches int
	stats   memberfile.Stats
	err     error
}

func decode(t testing.TB, in string, f memberfile.Format, m memberfile.Mapping, o memberfile.Options) result {
	t.Helper()
	var res result
	res.stats, res.err = memberfile.Decode(context.Background(), strings.NewReader(in), f, m, o,
		func(b []memberfile.Member) error {
			if len(b) == 0 {
				t.Error("emit called with an empty batch")
			}
			res.batches++
			res.members = append(res.members, b...)
			return nil
		},
		func(e memberfile.RowError) error {
			res.rejects = append(res.rejects, e)
			return nil
		})
	return res
}

func TestDecode_CSVEveryField(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	in := "\ufeffphone1,phone2,full_name,prio,tz,expires,crm_id,Plan,notes\r\n" +
		"+1 415-555-0123,(212) 555-0199,Ann Lee,2,Europe/London,2026-12-31T18:00:00+01:00,crm-1,gold,\"two\r\nlines? no: \"\"quoted\"\"\"\r\n" +
		"\r\n" +
		",212-555-0188, Bob ,,,2026-07-01 09:30,crm-2,silver,x\r\n" +
		"(617) 555-0100,,Cy,5,America/Chicago,2026-08-01,,bronze,\r\n"
	res := decode(t, in, memberfile.CSV, mustMapping(t, fullSpec), memberfile.Options{DefaultRegion: "US", Location: ny})
	if res.err != nil {
		t.Fatalf("Decode: %v", res.err)
	}
	// The quoted field holds a control character (CR LF), so line 2 is rejected.
	if len(res.rejects) != 1 || res.rejects[0].Line != 2 || res.rejects[0].Field != "notes" {
		t.Fatalf("rejects = %+v, want one for line 2, column notes", res.rejects)
	}
	want := []memberfile.Member{
		{
			Line: 5, Name: "Bob", Priority: 3,
			ExpiresAt:   time.Date(2026, 7, 1, 13, 30, 0, 0, time.UTC),
			ExternalKey: "crm-2",
			Numbers:     []memberfile.Number{{Number: "+12125550188", Type: "home", Position: 1}},
			Variables:   map[string]string{"plan": "silver", "notes": "x"},
		},
		{
			Line: 6, Name: "Cy", Priority: 5, Timezone: "America/Chicago",
			ExpiresAt: time.Date(2026, 8, 1, 4, 0, 0, 0, time.UTC),
			Numbers:   []memberfile.Number{{Number: "+16175550100", Type: "mobile", Position: 1}},
			Variables: map[string]string{"plan": "bronze", "notes": ""},
		},
	}
	if !reflect.DeepEqual(res.members, want) {
		t.Errorf("members:\n got %+v\nwant %+v", res.members, want)
	}
	if got, want := res.stats, (memberfile.Stats{Rows: 3, Members: 2, Rejected: 1}); got != want {
		t.Errorf("stats = %+v, want %+v", got, want)
	}

	// The same row without the control character is accepted, with both
	// numbers and every field.
	in = "phone1,phone2,full_name,prio,tz,expires,crm_id,Plan\n" +
		"+1 415-555-0123,(212) 555-0199,Ann Lee,2,Europe/London,2026-12-31T18:00:00+01:00,crm-1,\"gold, \"\"plus\"\"\"\n"
	res = decode(t, in, memberfile.CSV, mustMapping(t, fullSpec), memberfile.Options{DefaultRegion: "US"})
	wantAnn := []memberfile.Member{{
		Line: 2, Name: "Ann Lee", Priority: 2, Timezone: "Europe/London",
		ExpiresAt:   time.Date(2026, 12, 31, 17, 0, 0, 0, time.UTC),
		ExternalKey: "crm-1",
		Numbers: []memberfile.Number{
			{Number: "+14155550123", Type: "mobile", Position: 1},
			{Number: "+12125550199", Type: "home", Position: 2},
		},
		Variables: map[string]string{"plan": `gold, "plus"`},
	}}
	if res.err != nil || len(res.rejects) != 0 || !reflect.DeepEqual(res.members, wantAnn) {
		t.Errorf("got %+v, rejects %+v, err %v;\nwant %+v", res.members, res.rejects, res.err, wantAnn)
	}
}

func TestDecode_JSONLEveryField(t *testing.T) {
	in := `{"name":"Ann","priority":2,"timezone":"Europe/London","expires_at":"2026-12-31T18:00:00Z","external_key":"crm-1","communications":[{"number":"+442071234567","type":"mobile","position":2},{"number":"020 7123 4568","type":"home","position":1}],"variables":{"Plan":"gold","tier":"1"}}` + "\r\n" +
		"\n   \n" +
		`{"communications":[{"number":"+1 415 555 0123"}],"expires_at":"2026-06-01"}` + "\n" +
		`{"name":null,"priority":null,"communications":[{"number":"+14155550124","type":"work"}]}`
	res := decode(t, in, memberfile.JSONL, memberfile.Mapping{}, memberfile.Options{DefaultRegion: "GB"})
	if res.err != nil || len(res.rejects) != 0 {
		t.Fatalf("Decode: %v, rejects %+v", res.err, res.rejects)
	}
	want := []memberfile.Member{
		{
			Line: 1, Name: "Ann", Priority: 2, Timezone: "Europe/London",
			ExpiresAt:   time.Date(2026, 12, 31, 18, 0, 0, 0, time.UTC),
			ExternalKey: "crm-1",
			Numbers: []memberfile.Number{
				{Number: "+442071234568", Type: "home", Position: 1},
				{Number: "+442071234567", Type: "mobile", Position: 2},
			},
			Variables: map[string]string{"plan": "gold", "tier": "1"},
		},
		{
			Line: 4, Priority: 3,
			ExpiresAt: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC),
			Numbers:   []memberfile.Number{{Number: "+14155550123", Position: 1}},
		},
		{
			Line: 5, Priority: 3,
			Numbers: []memberfile.Number{{Number: "+14155550124", Type: "work", Position: 1}},
		},
	}
	if !reflect.DeepEqual(res.members, want) {
		t.Errorf("members:\n got %+v\nwant %+v", res.members, want)
	}
	if got, want := res.stats, (memberfile.Stats{Rows: 3, Members: 3}); got != want {
		t.Errorf("stats = %+v, want %+v", got, want)
	}
}

func TestDecode_CSVBadRows(t *testing.T) {
	header := "phone1,phone2,full_name,prio,tz,expires,crm_id,plan\n"
	tests := []struct {
		name      string
		row       string
		wantField string
		wantIn    string // part of the reason
		wantRaw   string // "" = the row itself
	}{
		{"invalid number", "12,,Ann,,,,,", "phone1", `"12": not a valid phone number for region US`, ""},
		{"invalid second number", "+14155550123,12,Ann,,,,,", "phone2", `"12": not a valid phone number for region US`, ""},
		{"not a number", "+14155550123,call me,Ann,,,,,", "phone2", `"call me": not a phone number`, ""},
		{"no number", " ,,Ann,,,,,", "phone1", "no phone number in columns phone1, phone2", `" ",,Ann,,,,,`},
		{"same number twice", "+14155550123,(415) 555-0123,Ann,,,,,", "phone2", "duplicate number +14155550123: already in phone1 of this row", ""},
		{"priority zero", "+14155550123,,Ann,0,,,,", "prio", `priority "0"`, ""},
		{"priority six", "+14155550123,,Ann,6,,,,", "prio", `priority "6"`, ""},
		{"priority text", "+14155550123,,Ann,high,,,,", "prio", `priority "high"`, ""},
		{"unknown timezone", "+14155550123,,Ann,,Mars/Base,,,", "tz", `timezone "Mars/Base": not a known IANA time zone`, ""},
		{"local timezone", "+14155550123,,Ann,,Local,,,", "tz", `timezone "Local"`, ""},
		{"bad expiry", "+14155550123,,Ann,,,31/12/2026,,", "expires", `expiry "31/12/2026"`, ""},
		{"control character in variable", "+14155550123,,Ann,,,,,\"a\tb\"", "plan", "control character 0x09", "+14155550123,,Ann,,,,,a\tb"},
		{"DEL in name", "+14155550123,,A\x7fn,,,,,", "full_name", "control character 0x7F", ""},
		{"invalid UTF-8", "+14155550123,,Ann,,,,,\xff", "plan", "not valid UTF-8", ""},
		{"value too long", "+14155550123,,Ann,,,,," + strings.Repeat("v", 1025), "plan", "1025 bytes long, more than 1024", ""},
		{"too few fields", "+14155550123,,Ann", "", "3 fields, the header has 8", ""},
		{"too many fields", "+14155550123,,Ann,,,,,,x", "", "9 fields, the header has 8", ""},
		{"bare quote", `+14155550123,,A"nn,,,,,`, "", `a " in an unquoted field (line 3, column 16)`, ""},
		{"text after a closing quote", `+14155550123,,"Ann"x,,,,,`, "", `extraneous or missing " in a quoted field`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := header + "+12125550100,,Good,,,,,\n" + tt.row + "\n+12125550101,,Also good,,,,,\n"
			res := decode(t, in, memberfile.CSV, mustMapping(t, fullSpec), memberfile.Options{DefaultRegion: "US"})
			if res.err != nil {
				t.Fatalf("Decode: %v", res.err)
			}
			if len(res.rejects) != 1 {
				t.Fatalf("rejects = %+v, want 1", res.rejects)
			}
			got := res.rejects[0]
			wantRaw := tt.wantRaw
			if wantRaw == "" {
				wantRaw = tt.row
			}
			if got.Line != 3 || got.Field != tt.wantField || !strings.Contains(got.Reason, tt.wantIn) || got.Raw != wantRaw {
				t.Errorf("reject = %+v\nwant line 3, field %q, reason containing %q, raw %q", got, tt.wantField, tt.wantIn, wantRaw)
			}
			if tt.wantField != "" && !strings.HasPrefix(got.Error(), "line 3, column "+tt.wantField+": ") {
				t.Errorf("Error() = %q", got.Error())
			}
			if len(res.members) != 2 || res.members[0].Line != 2 || res.members[1].Line != 4 {
				t.Errorf("members = %+v, want lines 2 and 4", res.members)
			}
			if got, want := res.stats, (memberfile.Stats{Rows: 3, Members: 2, Rejected: 1}); got != want {
				t.Errorf("stats = %+v, want %+v", got, want)
			}
		})
	}
}

func TestRowError_Error(t *testing.T) {
	e := memberfile.RowError{Line: 7, Field: "phone2", Reason: `"12": not a valid phone number for region US`}
	if got, want := e.Error(), `line 7, column phone2: "12": not a valid phone number for region US`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	e = memberfile.RowError{Line: 3, Reason: "3 fields, the header has 8"}
	if got, want := e.Error(), "line 3: 3 fields, the header has 8"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestDecode_JSONLBadRows(t *testing.T) {
	tests := []struct {
		name      string
		line      string
		wantField string
		wantIn    string
	}{
		{"unknown field", `{"communications":[{"number":"+14155550123"}],"nmae":"Ann"}`, "nmae", "unknown field"},
		{"unknown field in a number", `{"communications":[{"number":"+14155550123","kind":"x"}]}`, "communications[0].kind", "unknown field"},
		{"invalid number", `{"communications":[{"number":"+14155550123"},{"number":"12"}]}`, "communications[1].number", `"12": not a valid phone number for region US`},
		{"no communications", `{"name":"Ann"}`, "communications", "no phone number"},
		{"empty number", `{"communications":[{"number":" "}]}`, "communications[0].number", "no phone number"},
		{"same number twice", `{"communications":[{"number":"+14155550123"},{"number":"415 555 0123"}]}`, "communications[1].number", "already in communications[0].number of this row"},
		{"position twice", `{"communications":[{"number":"+14155550123","position":1},{"number":"+14155550124","position":1}]}`, "communications[1].position", "already used"},
		{"position zero", `{"communications":[{"number":"+14155550123","position":0}]}`, "communications[0].position", "want 1 or more"},
		{"priority out of range", `{"priority":9,"communications":[{"number":"+14155550123"}]}`, "priority", "priority 9"},
		{"priority as text", `{"priority":"2","communications":[{"number":"+14155550123"}]}`, "priority", "want a whole number, have string"},
		{"priority fraction", `{"priority":2.5,"communications":[{"number":"+14155550123"}]}`, "priority", "want a whole number"},
		{"bad timezone", `{"timezone":"Europe/Londres","communications":[{"number":"+14155550123"}]}`, "timezone", "not a known IANA time zone"},
		{"bad expiry", `{"expires_at":"tomorrow","communications":[{"number":"+14155550123"}]}`, "expires_at", `expiry "tomorrow"`},
		{"bad variable name", `{"communications":[{"number":"+14155550123"}],"variables":{"my var":"x"}}`, "variables.my var", "not a variable name"},
		{"variable names collide", `{"communications":[{"number":"+14155550123"}],"variables":{"Plan":"x","plan":"y"}}`, "variables.plan", `same variable as "Plan"`},
		{"variable not a string", `{"communications":[{"number":"+14155550123"}],"variables":{"n":1}}`, "variables", "want a string, have number"},
		{"control character", `{"communications":[{"number":"+14155550123"}],"variables":{"n":"a\u0001b"}}`, "variables.n", "control character 0x01"},
		{"name too long", `{"name":"` + strings.Repeat("n", 1100) + `","communications":[{"number":"+14155550123"}]}`, "name", "more than 1024"},
		{"not JSON", `name=Ann`, "", "invalid JSON"},
		{"not an object", `[1,2]`, "", "want an object, have array"},
		{"two objects", `{"communications":[{"number":"+14155550123"}]} {}`, "", "more data after the object"},
		{"cut short", `{"communications":[{"number":"+1415`, "", "invalid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := `{"communications":[{"number":"+12125550100"}]}` + "\n\n" + tt.line + "\n" + `{"communications":[{"number":"+12125550101"}]}` + "\n"
			res := decode(t, in, memberfile.JSONL, memberfile.Mapping{}, memberfile.Options{DefaultRegion: "US"})
			if res.err != nil {
				t.Fatalf("Decode: %v", res.err)
			}
			if len(res.rejects) != 1 {
				t.Fatalf("rejects = %+v, want 1", res.rejects)
			}
			got := res.rejects[0]
			if got.Line != 3 || got.Field != tt.wantField || !strings.Contains(got.Reason, tt.wantIn) || got.Raw != tt.line {
				t.Errorf("reject = %+v\nwant line 3, field %q, reason containing %q, raw the line", got, tt.wantField, tt.wantIn)
			}
			if len(res.members) != 2 || res.members[0].Line != 1 || res.members[1].Line != 4 {
				t.Errorf("members = %+v, want lines 1 and 4", res.members)
			}
		})
	}
}

func TestDecode_JSONLLongLine(t *testing.T) {
	in := `{"communications":[{"number":"+12125550100"}]}` + "\n" +
		`{"name":"` + strings.Repeat("x", 1<<20+10) + `"}` + "\n" +
		`{"communications":[{"number":"+12125550101"}]}`
	res := decode(t, in, memberfile.JSONL, memberfile.Mapping{}, memberfile.Options{DefaultRegion: "US"})
	if res.err != nil || len(res.members) != 2 || len(res.rejects) != 1 || res.rejects[0].Line != 2 ||
		!strings.Contains(res.rejects[0].Reason, "longer than") || res.members[1].Line != 3 {
		t.Errorf("got members %d, rejects %+v, err %v", len(res.members), res.rejects, res.err)
	}
}

func TestDecode_FileErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		spec    string
		f       memberfile.Format
		wantErr string
	}{
		{"empty file", "", fullSpec, memberfile.CSV, "empty file, expected a header line"},
		{"only a BOM and blank lines", "\ufeff\n\r\n\n", fullSpec, memberfile.CSV, "empty file, expected a header line"},
		{"mapped column missing", "a,b,c\n1,2,3\n", "numbers=phone3", memberfile.CSV, "line 1: no 'phone3' column; the header has 3 columns 'a', 'b', 'c'"},
		{"header after blank lines", "\n\na,b\n1,2\n", "numbers=phone3", memberfile.CSV, "line 3: no 'phone3' column; the header has 2 columns 'a', 'b'"},
		{"semicolons", "number;name\n+14155550123;Ann\n", "numbers=number", memberfile.CSV,
			"line 1: no 'number' column; the header has one column 'number;name' — is the file separated by ';'? use --delimiter ';'"},
		{"tabs", "number\tname\n+14155550123\tAnn\n", "numbers=number", memberfile.CSV,
			"line 1: no 'number' column; the header has one column 'number\tname' — is the file separated by tabs? use --delimiter tab"},
		{"JSON object given as CSV", "\n  {\"communications\":[{\"number\":\"+14155550123\"}]}\n", "numbers=number", memberfile.CSV, "looks like JSON; use --format jsonl"},
		{"JSON array given as CSV", "\ufeff[{\"name\":\"Ann\"}]", "numbers=number", memberfile.CSV, "looks like JSON; use --format jsonl"},
		{"header not a variable name", "phone,First Name\n+14155550123,Ann\n", "numbers=phone", memberfile.CSV, `line 1: column "First Name": not a variable name`},
		{"header twice", "phone,plan,plan\n+14155550123,a,b\n", "numbers=phone", memberfile.CSV, `line 1: column "plan" appears twice`},
		{"headers same variable", "phone,Plan,plan\n+14155550123,a,b\n", "numbers=phone", memberfile.CSV, `line 1: columns "Plan" and "plan" are the same variable "plan"`},
		{"header without name", "phone,,plan\n+14155550123,a,b\n", "numbers=phone", memberfile.CSV, "line 1: column 2 has no name"},
		{"broken header", "phone,\"plan\n", "numbers=phone", memberfile.CSV, "line 1: "},
		{"UTF-16 read as UTF-8", "\xff\xfep\x00h\x00", "numbers=phone", memberfile.CSV, "starts with a UTF-16 byte order mark; use --encoding utf-16"},
		{"unknown format", "x", "numbers=phone", "xml", `member file format "xml"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := decode(t, tt.in, tt.f, mustMapping(t, tt.spec), memberfile.Options{DefaultRegion: "US"})
			if res.err == nil || !strings.HasPrefix(res.err.Error(), tt.wantErr) {
				t.Fatalf("Decode error = %v, want %q", res.err, tt.wantErr)
			}
			if len(res.members) != 0 || len(res.rejects) != 0 || res.stats != (memberfile.Stats{}) {
				t.Errorf("callbacks ran before a file error: %+v %+v %+v", res.members, res.rejects, res.stats)
			}
		})
	}
}

func TestDecode_UnknownDefaultRegion(t *testing.T) {
	res := decode(t, "phone\n4155550123\n", memberfile.CSV, mustMapping(t, "numbers=phone"), memberfile.Options{DefaultRegion: "us"})
	if res.err == nil || res.err.Error() != `default region "us": not a known region code (want e.g. "US")` || res.stats.Rows != 0 {
		t.Errorf("Decode = %+v, %v", res.stats, res.err)
	}
}

func TestDecode_UnclosedQuoteAtEnd(t *testing.T) {
	in := "phone,plan\n+12125550100,a\n+12125550101,\"b\n+12125550102,c\n"
	res := decode(t, in, memberfile.CSV, mustMapping(t, "numbers=phone"), memberfile.Options{DefaultRegion: "US"})
	if res.err == nil || res.err.Error() != "line 3: quoted field not closed before the end of the file" {
		t.Fatalf("Decode error = %v", res.err)
	}
	if len(res.members) != 1 || res.members[0].Line != 2 {
		t.Errorf("rows before the error: %+v", res.members)
	}
}

func TestDecode_QuoteRecovery(t *testing.T) {
	// A broken quote across lines is one bad record; reading resumes after it.
	in := "phone,plan\n+12125550100,\"a\nb\"x\n+12125550101,c\n"
	res := decode(t, in, memberfile.CSV, mustMapping(t, "numbers=phone"), memberfile.Options{DefaultRegion: "US"})
	if res.err != nil {
		t.Fatalf("Decode: %v", res.err)
	}
	if len(res.rejects) != 1 || res.rejects[0].Line != 2 || res.rejects[0].Raw != "+12125550100,\"a\nb\"x" {
		t.Errorf("rejects = %+v", res.rejects)
	}
	if len(res.members) != 1 || res.members[0].Line != 4 {
		t.Errorf("members = %+v", res.members)
	}
}

func TestDecode_Duplicates(t *testing.T) {
	in := "phone1,phone2,plan\n" +
		"+14155550123,,a\n" + // line 2
		"+14155550124,4155550123,b\n" + // line 3: phone2 repeats line 2
		"+14155550125,,c\n" + // line 4: known to the campaign
		"12,+14155550126,d\n" + // line 5: rejected, so its numbers stay free
		"+14155550126,,e\n" + // line 6: accepted
		"+14155550124,,f\n" // line 7: line 3 was rejected, so free
	known := func(n string) bool { return n == "+14155550125" }
	res := decode(t, in, memberfile.CSV, mustMapping(t, "numbers=phone1,phone2"), memberfile.Options{DefaultRegion: "US", Known: known})
	if res.err != nil {
		t.Fatalf("Decode: %v", res.err)
	}
	var got []string
	for _, e := range res.rejects {
		got = append(got, e.Error())
	}
	want := []string{
		"line 3, column phone2: duplicate number +14155550123: already on line 2",
		"line 4, column phone1: duplicate number +14155550125: already in the campaign",
		`line 5, column phone1: "12": not a valid phone number for region US`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rejects:\n got %q\nwant %q", got, want)
	}
	var lines []int
	for _, m := range res.members {
		lines = append(lines, m.Line)
	}
	if !reflect.DeepEqual(lines, []int{2, 6, 7}) {
		t.Errorf("member lines = %v, want [2 6 7]", lines)
	}
	if got, want := res.stats, (memberfile.Stats{Rows: 6, Members: 3, Rejected: 3, Duplicates: 2}); got != want {
		t.Errorf("stats = %+v, want %+v", got, want)
	}
}

// generateCSV writes rows members with two numbers and three variables each;
// every bad-th row (if bad > 0) has an invalid number, and every dup-th row
// repeats the number of the row before it.
func generateCSV(rows, bad, dup int) string {
	var b strings.Builder
	b.WriteString("phone1,phone2,name,a,b,c\n")
	areas := []int{212, 312, 415, 617, 202, 305, 404, 512, 602, 713}
	for i := range rows {
		area := areas[i%len(areas)]
		n := i / len(areas)
		p1 := fmt.Sprintf("+1%d%03d%04d", area, 200+n/10000, n%10000)
		p2 := fmt.Sprintf("(%d) %03d-%04d", area, 700+n/10000, n%10000)
		switch {
		case bad > 0 && i%bad == bad-1:
			p2 = "12"
		case dup > 0 && i%dup == dup-1 && i > 0:
			prev := i - 1
			p1 = fmt.Sprintf("+1%d%03d%04d", areas[prev%len(areas)], 200+prev/len(areas)/10000, prev/len(areas)%10000)
		}
		fmt.Fprintf(&b, "%s,%s,Member %d,x%d,y,%d\n", p1, p2, i, i, i%7)
	}
	return b.String()
}

func TestDecode_OrderWithManyWorkers(t *testing.T) {
	in := generateCSV(3000, 17, 29)
	m := mustMapping(t, "numbers=phone1:mobile,phone2:home;name=name")
	one := decode(t, in, memberfile.CSV, m, memberfile.Options{DefaultRegion: "US", Workers: 1, BatchSize: 1000})
	many := decode(t, in, memberfile.CSV, m, memberfile.Options{DefaultRegion: "US", Workers: 5, BatchSize: 7})
	if one.err != nil || many.err != nil {
		t.Fatalf("Decode: %v, %v", one.err, many.err)
	}
	if !reflect.DeepEqual(one.members, many.members) || !reflect.DeepEqual(one.rejects, many.rejects) || one.stats != many.stats {
		t.Fatal("5 workers with batches of 7 gave another result than 1 worker")
	}
	if many.batches < 3000/7 {
		t.Errorf("emit called %d times, want one per batch", many.batches)
	}
	// Every row is either a member or a reject, in file order.
	line := 2
	mi, ri := 0, 0
	for mi < len(many.members) || ri < len(many.rejects) {
		switch {
		case mi < len(many.members) && many.members[mi].Line == line:
			mi++
		case ri < len(many.rejects) && many.rejects[ri].Line == line:
			ri++
		default:
			t.Fatalf("line %d is neither the next member nor the next reject", line)
		}
		line++
	}
	if line != 3002 {
		t.Errorf("saw lines up to %d, want 3001", line-1)
	}
	wantBad := 3000 / 17
	if many.stats.Rejected < wantBad || many.stats.Duplicates == 0 || many.stats.Rows != 3000 ||
		many.stats.Members+many.stats.Rejected != 3000 {
		t.Errorf("stats = %+v", many.stats)
	}
}

func TestDecode_ContextCancel(t *testing.T) {
	in := generateCSV(2000, 0, 0)
	m := mustMapping(t, "numbers=phone1,phone2")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	emits := 0
	_, err := memberfile.Decode(ctx, strings.NewReader(in), memberfile.CSV, m,
		memberfile.Options{DefaultRegion: "US", Workers: 2, BatchSize: 10},
		func([]memberfile.Member) error {
			emits++
			if emits == 3 {
				cancel()
			}
			return nil
		}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Decode error = %v, want context.Canceled", err)
	}
	if emits != 3 {
		t.Errorf("emit called %d times, want 3 (none after the cancel)", emits)
	}

	_, err = memberfile.Decode(ctx, strings.NewReader(in), memberfile.CSV, m, memberfile.Options{DefaultRegion: "US"},
		func([]memberfile.Member) error {
			t.Error("emit called with a cancelled context")
			return nil
		}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Decode with a cancelled context: error = %v", err)
	}
}

func TestDecode_CallbackErrorAborts(t *testing.T) {
	in := generateCSV(500, 10, 0)
	m := mustMapping(t, "numbers=phone1,phone2")
	stop := errors.New("disk full")
	rejects, emitted := 0, 0
	_, err := memberfile.Decode(context.Background(), strings.NewReader(in), memberfile.CSV, m,
		memberfile.Options{DefaultRegion: "US", Workers: 3, BatchSize: 20},
		func(b []memberfile.Member) error { emitted += len(b); return nil },
		func(memberfile.RowError) error {
			rejects++
			if rejects == 2 {
				return stop
			}
			return nil
		})
	if !errors.Is(err, stop) {
		t.Fatalf("Decode error = %v, want %v", err, stop)
	}
	// The first batch's rejects come before its members are emitted.
	if rejects != 2 || emitted != 0 {
		t.Errorf("after the abort: %d rejects, %d emitted; want 2 and none", rejects, emitted)
	}

	_, err = memberfile.Decode(context.Background(), strings.NewReader(in), memberfile.CSV, m,
		memberfile.Options{DefaultRegion: "US", Workers: 3, BatchSize: 20},
		func([]memberfile.Member) error { return stop }, nil)
	if !errors.Is(err, stop) {
		t.Errorf("Decode error = %v, want %v", err, stop)
	}
}

func TestDecode_Progress(t *testing.T) {
	in := generateCSV(250, 0, 0)
	var got []int64
	_, err := memberfile.Decode(context.Background(), strings.NewReader(in), memberfile.CSV, mustMapping(t, "numbers=phone1"),
		memberfile.Options{DefaultRegion: "US", BatchSize: 100, OnProgress: func(n int64) { got = append(got, n) }},
		nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0] <= 0 || got[0] >= got[1] || got[2] != int64(len(in)) {
		t.Errorf("progress = %v, want 3 increasing values ending at %d", got, len(in))
	}
}

// slowReader hands out its input a few bytes at a time, as a pipe would.
type slowReader struct{ s string }

func (r *slowReader) Read(p []byte) (int, error) {
	if r.s == "" {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), 3)], r.s)
	r.s = r.s[n:]
	return n, nil
}

func TestDecode_SmallReads(t *testing.T) {
	in := "phone,plan\n+12125550100,a\n+12125550101,\"b\"x\n+12125550102,c\n"
	var rejects []memberfile.RowError
	st, err := memberfile.Decode(context.Background(), &slowReader{in}, memberfile.CSV, mustMapping(t, "numbers=phone"),
		memberfile.Options{DefaultRegion: "US"}, nil,
		func(e memberfile.RowError) error { rejects = append(rejects, e); return nil })
	if err != nil || st.Members != 2 || len(rejects) != 1 || rejects[0].Raw != "+12125550101,\"b\"x" {
		t.Errorf("stats %+v, rejects %+v, err %v", st, rejects, err)
	}
}

func TestParseMapping_Spec(t *testing.T) {
	tests := []struct {
		spec    string
		want    memberfile.Mapping
		wantErr string
	}{
		{
			spec: fullSpec,
			want: memberfile.Mapping{
				Numbers: []memberfile.NumberColumn{{Column: "phone1", Type: "mobile"}, {Column: "phone2", Type: "home"}},
				Name:    "full_name", Priority: "prio", Timezone: "tz", Expiry: "expires", ExternalKey: "crm_id",
			},
		},
		{spec: " numbers = Phone Number ; name = Full Name ;", want: memberfile.Mapping{Numbers: []memberfile.NumberColumn{{Column: "Phone Number"}}, Name: "Full Name"}},
		{spec: "", wantErr: "mapping: no number column"},
		{spec: "name=n", wantErr: "mapping: no number column"},
		{spec: "numbers=a;numbers=b", wantErr: `mapping: key "numbers" given twice`},
		{spec: "numbers=a;nmae=b", wantErr: `mapping: unknown key "nmae"`},
		{spec: "numbers=a,,b", wantErr: `mapping: numbers: "a,,b": empty column name`},
		{spec: "numbers=a;name", wantErr: `mapping: "name": want key=column`},
		{spec: "numbers=a;name=a", wantErr: `mapping: column "a" used for both numbers and name`},
		{spec: "numbers=a:Mobile Phone", wantErr: `mapping: number type "Mobile Phone"`},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			got, err := memberfile.ParseMapping(tt.spec)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("ParseMapping error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ParseMapping = %+v, %v; want %+v", got, err, tt.want)
			}
			again, err := memberfile.ParseMapping(got.String())
			if err != nil || !reflect.DeepEqual(again, got) {
				t.Errorf("ParseMapping(String()) = %+v, %v; want %+v", again, err, got)
			}
		})
	}
}

func TestMapping_Validate(t *testing.T) {
	m := mustMapping(t, "numbers=phone1,phone2;name=name")
	if err := m.Validate([]string{"phone1", "phone2", "name", "x"}); err != nil {
		t.Errorf("Validate: %v", err)
	}
	err := m.Validate([]string{"phone1", "name"})
	if err == nil || err.Error() != `mapping: column "phone2" not in header (have: phone1, name)` {
		t.Errorf("Validate error = %v", err)
	}
}
