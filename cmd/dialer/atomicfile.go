package main

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
)

// atomicFile is a temporary file next to path that becomes path only on
// commit, so a failed or interrupted write leaves no partial file behind.
// Its errors name path, the file the operator asked for, never the
// temporary file.
type atomicFile struct {
	*os.File
	path string
	done bool
}

// createAtomic starts a file at path. The file gets the mode of the file
// it replaces, or 0666 less the umask like any new file.
func createAtomic(path string) (*atomicFile, error) {
	perm, keep := os.FileMode(0o666), false
	if fi, err := os.Stat(path); err == nil {
		if fi.IsDir() {
			return nil, errors.New("is a directory; name a file")
		}
		perm, keep = fi.Mode().Perm(), true
	}
	for range 100 {
		tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+"."+strconv.FormatUint(rand.Uint64(), 36)+".tmp")
		f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return nil, bare(err)
		}
		af := &atomicFile{File: f, path: path}
		if keep {
			// The umask applied to a new file; a replaced file keeps its mode.
			if err := f.Chmod(perm); err != nil {
				af.abort()
				return nil, bare(err)
			}
		}
		return af, nil
	}
	return nil, fmt.Errorf("no free temporary name next to it in %s", filepath.Dir(path))
}

// Write writes to the temporary file.
func (f *atomicFile) Write(p []byte) (int, error) {
	n, err := f.File.Write(p)
	return n, bare(err)
}

func (f *atomicFile) commit() error {
	if err := f.Sync(); err != nil {
		return bare(err)
	}
	if err := f.Close(); err != nil {
		return bare(err)
	}
	if err := os.Rename(f.Name(), f.path); err != nil {
		return bare(err)
	}
	f.done = true
	return nil
}

// abort removes the temporary file unless commit succeeded.
func (f *atomicFile) abort() {
	if !f.done {
		f.Close()
		os.Remove(f.Name())
	}
}

// bare drops the temporary file's name from an error: the caller names the
// file the operator gave.
func bare(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return fmt.Errorf("%s: %w", le.Op, le.Err)
	}
	return err
}
