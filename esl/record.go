package esl

import (
	"context"
	"fmt"
	"regexp"
	"strings"
)

// recordPathRe is a recording file path the client sends: plain path
// elements of letters, digits, '.', '_' and '-', optionally absolute.
// Nothing FreeSWITCH's API split, its file-string syntax ({vars}, [vars],
// !, |, ${...}) or its format modules (a ':' scheme) would read passes.
var recordPathRe = regexp.MustCompile(`^/?[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$`)

// checkRecordPath refuses a path that recordPathRe refuses or that has a
// "." or ".." element.
func checkRecordPath(path string) error {
	if len(path) > 1024 || !recordPathRe.MatchString(path) {
		return fmt.Errorf("path %q: %w", path, errRefused)
	}
	for _, part := range strings.Split(path, "/") {
		if part == "." || part == ".." {
			return fmt.Errorf("path %q: %w", path, errRefused)
		}
	}
	return nil
}

// Record starts recording a channel to a file (uuid_record <uuid> start
// <path>), both directions mixed or, with stereo, one per channel
// (FreeSWITCH's RECORD_STEREO, set on the channel first). The recording
// ends with the channel. A relative path is FreeSWITCH's to resolve; see
// RecordingsDir.
func (c *Client) Record(ctx context.Context, uuid, path string, stereo bool) error {
	if err := checkIDs("uuid", uuid); err != nil {
		return fmt.Errorf("uuid_record: %w", err)
	}
	if err := checkRecordPath(path); err != nil {
		return fmt.Errorf("uuid_record: %w", err)
	}
	if err := c.SetVar(ctx, uuid, "RECORD_STEREO", fmt.Sprint(stereo)); err != nil {
		return fmt.Errorf("uuid_record: %w", err)
	}
	_, err := c.api(ctx, "uuid_record", "uuid_record "+uuid+" start "+path)
	return err
}

// RecordingsDir returns the switch's recordings directory (the global
// variable recordings_dir, FreeSWITCH's $${recordings_dir}).
func (c *Client) RecordingsDir(ctx context.Context) (string, error) {
	out, err := c.api(ctx, "global_getvar", "global_getvar recordings_dir")
	if err != nil {
		return "", err
	}
	dir := strings.TrimRight(out, "\r\n")
	if dir == "" || !strings.HasPrefix(dir, "/") {
		return "", fmt.Errorf("global_getvar recordings_dir: unexpected reply %q", firstLine(out))
	}
	return dir, nil
}
