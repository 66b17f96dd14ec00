package memberfile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// Encodings are the names NewTextReader takes, as the operator writes them.
const Encodings = "utf-8, latin1 (iso-8859-1), windows-1252 or utf-16"

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// NewTextReader returns r decoded from the named encoding to UTF-8: "" or
// "utf-8" (read as is), "latin1" or "iso-8859-1", "windows-1252" (or
// "cp1252"), "utf-16" (which needs a byte order mark, little or big
// endian). A UTF-8 byte order mark at the start is dropped whatever the
// encoding: spreadsheet programs write one.
//
// A file that starts with a UTF-16 byte order mark read as UTF-8 fails at
// the first read, with a hint at the encoding to give.
func NewTextReader(r io.Reader, encoding string) (io.Reader, error) {
	br := bufio.NewReader(r)
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "", "utf-8", "utf8":
		return &utf8Reader{br: br}, nil
	case "latin1", "latin-1", "iso-8859-1", "iso8859-1":
		return charmap.ISO8859_1.NewDecoder().Reader(&utf8Reader{br: br}), nil
	case "windows-1252", "cp1252":
		return charmap.Windows1252.NewDecoder().Reader(&utf8Reader{br: br}), nil
	case "utf-16", "utf16":
		return &utf16Reader{br: br}, nil
	}
	return nil, fmt.Errorf("encoding %q: want %s", encoding, Encodings)
}

// utf8Reader drops a UTF-8 byte order mark at the start and refuses a
// UTF-16 one.
type utf8Reader struct {
	br      *bufio.Reader
	started bool
}

func (u *utf8Reader) Read(p []byte) (int, error) {
	if !u.started {
		u.started = true
		head, _ := u.br.Peek(3)
		switch {
		case bytes.HasPrefix(head, bomUTF8):
			u.br.Discard(len(bomUTF8))
		case bytes.HasPrefix(head, bomUTF16LE), bytes.HasPrefix(head, bomUTF16BE):
			return 0, errors.New("starts with a UTF-16 byte order mark; use --encoding utf-16")
		}
	}
	return u.br.Read(p)
}

// utf16Reader decodes UTF-16 after checking that the file starts with a
// byte order mark, which says which byte order it uses.
type utf16Reader struct {
	br  *bufio.Reader
	dec io.Reader
}

func (u *utf16Reader) Read(p []byte) (int, error) {
	if u.dec == nil {
		head, err := u.br.Peek(2)
		if len(head) == 0 && errors.Is(err, io.EOF) {
			return 0, io.EOF
		}
		if !bytes.Equal(head, bomUTF16LE) && !bytes.Equal(head, bomUTF16BE) {
			return 0, errors.New("encoding utf-16: the file does not start with a byte order mark (FF FE or FE FF); give the file's --encoding")
		}
		u.dec = unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder().Reader(u.br)
	}
	return u.dec.Read(p)
}

// ParseDelimiter reads a CSV field delimiter as the operator gives it: one
// character, or "tab" (also written `\t`). "" is a comma.
func ParseDelimiter(s string) (rune, error) {
	switch strings.ToLower(s) {
	case "":
		return ',', nil
	case "tab", `\t`:
		return '\t', nil
	}
	r, size := utf8.DecodeRuneInString(s)
	if size != len(s) || r == utf8.RuneError {
		return 0, fmt.Errorf("delimiter %q: want one character, or \"tab\"", s)
	}
	switch r {
	case '"', '\r', '\n', ' ':
		return 0, fmt.Errorf("delimiter %q: cannot be a quote, a line break or a space", s)
	}
	return r, nil
}

// delimiterName is how an error names a delimiter the operator can give.
func delimiterName(r rune) (name, flag string) {
	if r == '\t' {
		return "tabs", "tab"
	}
	return "'" + string(r) + "'", "'" + string(r) + "'"
}
