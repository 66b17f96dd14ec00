package main

import (
	"os"
	"testing"

	"github.com/fsdialer/dialer/esl/switchtest"
)

// TestMain stops the real FreeSWITCH the end-to-end tests started.
func TestMain(m *testing.M) { os.Exit(switchtest.Main(m)) }
