// Package storetest damages database files for tests of what the store,
// the CLI and the daemon do with a corrupt database.
package storetest

import (
	"math/rand/v2"
	"os"
	"testing"
)

const page = 4096

// DamageMiddle overwrites 64 KB in the middle of a database file of at
// least 1 MiB with noise, as the damage an operator reported.
func DamageMiddle(t testing.TB, path string) {
	t.Helper()
	size := fileSize(t, path)
	if size < 1<<20 {
		t.Fatalf("%s is %d bytes: too small to damage its middle", path, size)
	}
	overwrite(t, path, size/2, 64<<10)
}

// DamageHalf overwrites the middle half of a database file with noise.
// SQLite notices damage only on pages it has not cached, so a daemon that
// has the file open needs more of it gone than a closed file does.
func DamageHalf(t testing.TB, path string) {
	t.Helper()
	size := fileSize(t, path)
	overwrite(t, path, size/4, size/2)
}

func fileSize(t testing.TB, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// overwrite writes n bytes of noise at off, both rounded down to pages.
func overwrite(t testing.TB, path string, off, n int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	noise := make([]byte, n/page*page)
	rand.NewChaCha8([32]byte{1}).Read(noise)
	if _, err := f.WriteAt(noise, off/page*page); err != nil {
		t.Fatal(err)
	}
}
