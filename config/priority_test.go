package config_test

import (
	"strings"
	"testing"

	"github.com/fsdialer/dialer/config"
)

func TestLoad_Priority(t *testing.T) {
	t.Run("default share", func(t *testing.T) {
		c, _, err := config.Load(write(t, "log:\n  level: info\n"), nil, nil)
		if err != nil || c.Priority != config.PriorityShare {
			t.Fatalf("priority = %q, %v; want share", c.Priority, err)
		}
	})
	t.Run("file strict, environment share wins", func(t *testing.T) {
		file := write(t, "priority: strict\n")
		c, _, err := config.Load(file, nil, nil)
		if err != nil || c.Priority != config.PriorityStrict {
			t.Fatalf("from the file: %q, %v; want strict", c.Priority, err)
		}
		c, _, err = config.Load(file, nil, []string{"DIALER_PRIORITY=share"})
		if err != nil || c.Priority != config.PriorityShare {
			t.Fatalf("with DIALER_PRIORITY=share: %q, %v", c.Priority, err)
		}
	})
	t.Run("anything else is refused by key", func(t *testing.T) {
		_, _, err := config.Load(write(t, "priority: first\n"), nil, nil)
		if err == nil || !strings.Contains(err.Error(), `priority: "first": must be share or strict`) {
			t.Fatalf("error = %v", err)
		}
	})
}
