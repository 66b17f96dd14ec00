package main

import (
	"context"
	"fmt"
	"strings"
)

// Record starts recording a call and returns the file's path on the
// switch: a relative path is put under the switch's recordings directory
// here, so that the attempt keeps a path an integrator can open.
func (s *eslSwitch) Record(ctx context.Context, uuid, path string, stereo bool) (string, error) {
	if !strings.HasPrefix(path, "/") {
		dir, err := s.c.RecordingsDir(ctx)
		if err != nil {
			return "", fmt.Errorf("recordings directory: %w", err)
		}
		path = strings.TrimRight(dir, "/") + "/" + path
	}
	if err := s.c.Record(ctx, uuid, path, stereo); err != nil {
		return "", err
	}
	return path, nil
}
