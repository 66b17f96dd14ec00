package memberfile_test

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/fsdialer/dialer/dialer/memberfile"
)

// survey is the mapping of the survey-ivr campaign's import section, which
// the fixtures under testdata/members follow.
const survey = "numbers=mobile:mobile,home:home;name=name;priority=priority;timezone=timezone;expiry=expires;key=crm_id"

func names(ms []memberfile.Member) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Name)
	}
	return out
}

func TestDecode_Fixtures(t *testing.T) {
	tests := []struct {
		file      string
		o         memberfile.Options
		wantNames []string
	}{
		{"latin1-semicolon.csv", memberfile.Options{Comma: ';', Encoding: "latin1"},
			[]string{"Jürgen Müller", "Zoë Brontë", "François Gaël"}},
		{"latin1-semicolon.csv", memberfile.Options{Comma: ';', Encoding: "iso-8859-1"},
			[]string{"Jürgen Müller", "Zoë Brontë", "François Gaël"}},
		{"bom-utf8.csv", memberfile.Options{}, []string{"Åsa Ström", "Łucja Nowak"}},
		{"bom-utf8.csv", memberfile.Options{Encoding: "UTF-8"}, []string{"Åsa Ström", "Łucja Nowak"}},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.o.Encoding, func(t *testing.T) {
			b, err := os.ReadFile("../../testdata/members/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			tt.o.DefaultRegion = "US"
			res := decode(t, string(b), memberfile.CSV, mustMapping(t, survey), tt.o)
			if res.err != nil || len(res.rejects) != 0 {
				t.Fatalf("Decode: %v, rejects %+v", res.err, res.rejects)
			}
			if got := names(res.members); strings.Join(got, "|") != strings.Join(tt.wantNames, "|") {
				t.Fatalf("names = %q, want %q", got, tt.wantNames)
			}
			if got := res.members[0].ExternalKey; !strings.HasPrefix(got, "c-3") {
				t.Errorf("first member's key = %q: the first column lost its name to a byte order mark", got)
			}
		})
	}
}

func TestDecode_LatinFileReadAsUTF8(t *testing.T) {
	b, err := os.ReadFile("../../testdata/members/latin1-semicolon.csv")
	if err != nil {
		t.Fatal(err)
	}
	res := decode(t, string(b), memberfile.CSV, mustMapping(t, survey), memberfile.Options{DefaultRegion: "US", Comma: ';'})
	if res.err != nil || len(res.rejects) != 3 {
		t.Fatalf("Decode: %v, rejects %+v", res.err, res.rejects)
	}
	if r := res.rejects[0]; r.Field != "name" || !strings.Contains(r.Reason, "not valid UTF-8") || !strings.Contains(r.Reason, "--encoding latin1") {
		t.Errorf("reject = %+v, want the name column and a hint at --encoding", r)
	}
}

func utf16File(s string, bigEndian bool) string {
	var b bytes.Buffer
	for _, u := range utf16.Encode([]rune("\ufeff" + s)) {
		if bigEndian {
			b.WriteByte(byte(u >> 8))
			b.WriteByte(byte(u))
		} else {
			b.WriteByte(byte(u))
			b.WriteByte(byte(u >> 8))
		}
	}
	return b.String()
}

func TestDecode_Encodings(t *testing.T) {
	const text = "phone,name\n+14155550123,Renée\n+14155550124,€uro Ltd\n"
	tests := []struct {
		name, in, encoding string
		want               []string
		wantErr            string
	}{
		{name: "windows-1252", in: "phone,name\n+14155550123,Ren\xe9e\n+14155550124,\x80uro Ltd\n", encoding: "windows-1252",
			want: []string{"Renée", "€uro Ltd"}},
		{name: "cp1252 alias", in: "phone,name\n+14155550123,Ren\xe9e\n+14155550124,\x80uro Ltd\n", encoding: "cp1252",
			want: []string{"Renée", "€uro Ltd"}},
		{name: "utf-16 little endian", in: utf16File(text, false), encoding: "utf-16", want: []string{"Renée", "€uro Ltd"}},
		{name: "utf-16 big endian", in: utf16File(text, true), encoding: "utf-16", want: []string{"Renée", "€uro Ltd"}},
		{name: "utf-16 without a byte order mark", in: utf16File(text, false)[2:], encoding: "utf-16",
			wantErr: "encoding utf-16: the file does not start with a byte order mark"},
		{name: "unknown encoding", in: text, encoding: "ebcdic",
			wantErr: `encoding "ebcdic": want utf-8, latin1 (iso-8859-1), windows-1252 or utf-16`},
		{name: "UTF-8 BOM before a quoted header", in: "\ufeff\"phone\",name\n+14155550123,Renée\n", want: []string{"Renée"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := decode(t, tt.in, memberfile.CSV, mustMapping(t, "numbers=phone;name=name"),
				memberfile.Options{DefaultRegion: "US", Encoding: tt.encoding})
			if tt.wantErr != "" {
				if res.err == nil || !strings.HasPrefix(res.err.Error(), tt.wantErr) {
					t.Fatalf("Decode error = %v, want %q", res.err, tt.wantErr)
				}
				return
			}
			if res.err != nil || len(res.rejects) != 0 {
				t.Fatalf("Decode: %v, rejects %+v", res.err, res.rejects)
			}
			if got := names(res.members); strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("names = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDecode_JSONLWithBOM(t *testing.T) {
	res := decode(t, "\ufeff"+`{"communications":[{"number":"+14155550123"}]}`+"\n", memberfile.JSONL, memberfile.Mapping{},
		memberfile.Options{DefaultRegion: "US"})
	if res.err != nil || len(res.rejects) != 0 || len(res.members) != 1 {
		t.Fatalf("Decode: %v, rejects %+v, members %d", res.err, res.rejects, len(res.members))
	}
}

func TestParseDelimiter(t *testing.T) {
	tests := []struct {
		in      string
		want    rune
		wantErr string
	}{
		{in: "", want: ','},
		{in: ",", want: ','},
		{in: ";", want: ';'},
		{in: "tab", want: '\t'},
		{in: "TAB", want: '\t'},
		{in: `\t`, want: '\t'},
		{in: "\t", want: '\t'},
		{in: "|", want: '|'},
		{in: "§", want: '§'},
		{in: ";;", wantErr: `delimiter ";;": want one character, or "tab"`},
		{in: `"`, wantErr: `delimiter "\"": cannot be a quote, a line break or a space`},
		{in: "\n", wantErr: `delimiter "\n": cannot be a quote, a line break or a space`},
		{in: " ", wantErr: `delimiter " ": cannot be a quote, a line break or a space`},
	}
	for _, tt := range tests {
		got, err := memberfile.ParseDelimiter(tt.in)
		switch {
		case tt.wantErr != "":
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("ParseDelimiter(%q) = %q, %v; want error %q", tt.in, got, err, tt.wantErr)
			}
		case err != nil || got != tt.want:
			t.Errorf("ParseDelimiter(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestNewTextReader_StripsBOM(t *testing.T) {
	for _, enc := range []string{"", "utf-8", "latin1", "windows-1252"} {
		r, err := memberfile.NewTextReader(strings.NewReader("\ufeff+14155550123\n"), enc)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if _, err := b.ReadFrom(r); err != nil {
			t.Fatal(err)
		}
		if b.String() != "+14155550123\n" {
			t.Errorf("encoding %q: read %q", enc, b.String())
		}
	}
}
