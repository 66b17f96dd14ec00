package esl_test

import (
	"os"
	"testing"

	"github.com/fsdialer/dialer/esl/switchtest"
)

// TestMain stops the real FreeSWITCH that the lab tests start.
func TestMain(m *testing.M) { os.Exit(switchtest.Main(m)) }
