package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeFile writes a file named name in a new temporary directory.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestMemberImport_ErrorsNameTheFile(t *testing.T) {
	c := setup(t)
	c.ok("campaign", "apply", "-f", "../../testdata/campaigns/ivr.yaml")
	tests := []struct {
		name, content string
		args          []string
		want          string
	}{
		{name: "empty", want: "members.csv: empty file, expected a header line"},
		{name: "JSON", content: `{"name":"Ann","communications":[{"number":"+14155550123"}]}` + "\n",
			want: "members.csv: looks like JSON; use --format jsonl"},
		{name: "semicolons", content: "number;name\n+14155550123;Ann\n", args: []string{"--map", "numbers=number;name=name"},
			want: "members.csv: line 1: no 'number' column; the header has one column 'number;name' — is the file separated by ';'? use --delimiter ';'"},
		{name: "header only", content: "crm_id,name,mobile,home,priority,timezone,expires,segment,score\n",
			want: "members.csv: no members after the header"},
		{name: "header only with --skip-bad", content: "crm_id,name,mobile,home,priority,timezone,expires,segment,score\n",
			args: []string{"--skip-bad", "--rejects", filepath.Join(t.TempDir(), "rejects.csv")},
			want: "members.csv: no members after the header"},
		{name: "bad row", content: "crm_id,name,mobile\nc-1,Ann,12\n", args: []string{"--map", "numbers=mobile;name=name"},
			want: `members.csv: line 2, column mobile: "12": not a valid phone number for region US`},
		{name: "unknown encoding", content: "mobile\n+14155550123\n", args: []string{"--encoding", "ebcdic"},
			want: `--encoding: encoding "ebcdic": want utf-8, latin1 (iso-8859-1), windows-1252 or utf-16`},
		{name: "bad delimiter", content: "mobile\n+14155550123\n", args: []string{"--delimiter", ";;"},
			want: `--delimiter: delimiter ";;": want one character, or "tab"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, "members.csv", tt.content)
			args := append([]string{"member", "import", "--campaign", "survey-ivr", path}, tt.args...)
			_, err := c.run("", args...)
			if err == nil {
				t.Fatalf("import of %s succeeded", tt.name)
			}
			got := strings.ReplaceAll(err.Error(), filepath.Dir(path)+"/", "")
			if !strings.HasPrefix(got, tt.want) {
				t.Fatalf("error = %q\nwant   %q", got, tt.want)
			}
		})
	}
	if out := c.ok("member", "list", "--campaign", "survey-ivr"); strings.Count(out, "\n") != 1 {
		t.Fatalf("a failed import imported members:\n%s", out)
	}
}

func TestMemberImport_EmptyJSONLines(t *testing.T) {
	c := setup(t)
	c.ok("campaign", "apply", "-f", "../../testdata/campaigns/ivr.yaml")
	path := writeFile(t, "members.jsonl", "\n\n")
	c.fails("members.jsonl: no members in the file", "member", "import", "--campaign", "survey-ivr", path)
}

func TestMemberImport_DelimiterAndEncoding(t *testing.T) {
	c := setup(t)
	c.ok("campaign", "apply", "-f", "../../testdata/campaigns/ivr.yaml")
	c.fails("is the file separated by ';'? use --delimiter ';'",
		"member", "import", "--campaign", "survey-ivr", "../../testdata/members/latin1-semicolon.csv")
	contains(t, c.ok("member", "import", "--campaign", "survey-ivr", "--delimiter", ";", "--encoding", "latin1",
		"../../testdata/members/latin1-semicolon.csv"), "imported 3 members (4 numbers)")
	contains(t, c.ok("member", "import", "--campaign", "survey-ivr", "../../testdata/members/bom-utf8.csv"),
		"imported 2 members (2 numbers)")
	out := c.ok("member", "list", "--campaign", "survey-ivr", "-o", "json")
	contains(t, out, "Jürgen Müller", "Zoë Brontë", "Åsa Ström", `"external_key": "c-3101"`)
}

func TestBlocklistImport_DelimiterAndEncoding(t *testing.T) {
	c := setup(t)
	path := writeFile(t, "dnc.csv", "\xef\xbb\xbfnumber;name\n+14155550123;Ren\xe9e\n4155550124;Fran\xe7ois\n")
	contains(t, c.ok("blocklist", "import", path, "--region", "US", "--delimiter", ";", "--encoding", "latin1"),
		"blocked 2 number(s)")
	contains(t, c.ok("blocklist", "list"), "+14155550123", "+14155550124")
	tab := writeFile(t, "dnc.tsv", "+14155550125\tx\n")
	contains(t, c.ok("blocklist", "import", tab, "--delimiter", "tab"), "blocked 1 number(s)")
	c.fails(`--encoding: encoding "klingon"`, "blocklist", "import", tab, "--encoding", "klingon")
}

// fileBytes reads the database file after the command closed it.
func fileBytes(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestMemberImport_DryRunWritesNothing(t *testing.T) {
	c := setup(t)
	c.ok("campaign", "apply", "-f", "../../testdata/campaigns/ivr.yaml")
	c.ok("member", "import", "--campaign", "survey-ivr", "../../testdata/members/members.jsonl")
	before := fileBytes(t, c.db)
	contains(t, c.ok("member", "import", "--dry-run", "--campaign", "survey-ivr", "../../testdata/members/members.csv"),
		"dry run: 3 members (5 numbers) would be imported into survey-ivr from ../../testdata/members/members.csv, 0 rejected (0 duplicates); nothing was written")
	rejects := filepath.Join(t.TempDir(), "rejects.csv")
	contains(t, c.ok("member", "import", "--dry-run", "--skip-bad", "--rejects", rejects, "--campaign", "survey-ivr",
		"../../testdata/members/bad-row.csv"), "dry run: 2 members (2 numbers) would be imported", "1 rejected (0 duplicates)",
		"line 3, column mobile: \"12\": not a valid phone number for region US")
	if _, err := os.Stat(rejects); !os.IsNotExist(err) {
		t.Errorf("a dry run wrote the rejects file (%v)", err)
	}
	c.fails("line 3", "member", "import", "--dry-run", "--campaign", "survey-ivr", "../../testdata/members/bad-row.csv")
	if after := fileBytes(t, c.db); !bytes.Equal(before, after) {
		t.Fatal("a dry run changed the database file")
	}
	if out := c.ok("member", "list", "--campaign", "survey-ivr"); strings.Count(out, "\n") != 3 {
		t.Fatalf("members after dry runs:\n%s", out)
	}
}

func TestMemberImport_RejectsFileModeAndErrors(t *testing.T) {
	c := setup(t)
	c.ok("campaign", "apply", "-f", "../../testdata/campaigns/ivr.yaml")
	rejects := filepath.Join(t.TempDir(), "rejects.csv")
	c.ok("member", "import", "--campaign", "survey-ivr", "--skip-bad", "--rejects", rejects, "../../testdata/members/bad-row.csv")
	fi, err := os.Stat(rejects)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fi.Mode().Perm(), 0o666&^umask(); got != want {
		t.Errorf("rejects file mode %v, want %v", got, want)
	}
	missing := filepath.Join(t.TempDir(), "no", "rejects.csv")
	_, err = c.run("", "member", "import", "--campaign", "survey-ivr", "--skip-bad", "--rejects", missing, "../../testdata/members/members.csv")
	if err == nil || !strings.HasPrefix(err.Error(), "--rejects "+missing+": ") || strings.Contains(err.Error(), ".tmp") {
		t.Errorf("error = %v, want it to name %s and not a temporary file", err, missing)
	}
}
