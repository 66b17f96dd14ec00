package pgtest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// EnvDialect selects the dialect a test binary run by Main tests:
// "sqlite" or "postgres" runs that pass only; unset, both.
const EnvDialect = "DIALER_TEST_DB"

// Postgres reports whether this is the PostgreSQL pass.
func Postgres() bool { return os.Getenv(EnvDialect) == "postgres" }

// SQLiteOnly skips a test in the PostgreSQL pass: it tests what only
// SQLite has (a file, its pages, WAL, file modes, query plans), and has
// run in the SQLite pass.
func SQLiteOnly(t testing.TB, why string) {
	t.Helper()
	if Postgres() {
		t.Skip("SQLite only: " + why)
	}
}

// templateName is the database that every test's database copies: the
// schema already migrated.
const templateName = "dialer_template"

var (
	shared struct {
		sync.Mutex
		server  *Server
		err     error
		prepare func(ctx context.Context, dsn string) error
		pool    pool
	}
	seq atomic.Int64
)

// Main runs the package's tests (m.Run) on SQLite, then runs the test
// binary again with EnvDialect=postgres for the same tests on PostgreSQL;
// with EnvDialect set it runs that pass alone. prepare migrates the
// template database that each test's database is copied from (NewDatabase).
// Benchmarks run in the first pass only: they pick the dialects themselves.
// Main exits with a failure when either pass failed.
func Main(m *testing.M, prepare func(ctx context.Context, dsn string) error) {
	shared.prepare = prepare
	mode := os.Getenv(EnvDialect)
	code := 0
	if mode == "postgres" {
		if _, err := server(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
			code = 1
		}
	}
	if code == 0 {
		code = m.Run()
	}
	stop()
	if mode == "" {
		if pcode := runPostgresPass(); code == 0 {
			code = pcode
		}
	}
	os.Exit(code)
}

// runPostgresPass runs this test binary again with EnvDialect=postgres,
// its output going where this one's goes, and returns its exit code.
func runPostgresPass() int {
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: the PostgreSQL pass: %v\n", err)
		return 1
	}
	args := []string{}
	for _, a := range os.Args[1:] {
		if !perProcessFlag(a) {
			args = append(args, a)
		}
	}
	args = append(args, "-test.bench=^$")
	fmt.Printf("pgtest: the same tests on PostgreSQL (%s=postgres)\n", EnvDialect)
	cmd := exec.Command(self, args...)
	cmd.Env = append(os.Environ(), EnvDialect+"=postgres")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	// go test kills this process when the tests time out: the second
	// pass, and through it its server, go with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := cmd.Run(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		fmt.Fprintf(os.Stderr, "pgtest: the PostgreSQL pass: %v\n", err)
		return 1
	}
	return 0
}

// perProcessFlag is a test flag naming an output file, which the second
// pass would overwrite.
func perProcessFlag(arg string) bool {
	for _, f := range []string{"coverprofile", "cpuprofile", "memprofile", "blockprofile", "mutexprofile", "trace"} {
		if strings.HasPrefix(arg, "-test."+f+"=") || arg == "-test."+f {
			return true
		}
	}
	return false
}

// server is the shared server, started (and the template migrated) on
// first use.
func server() (*Server, error) {
	shared.Lock()
	defer shared.Unlock()
	if shared.server != nil || shared.err != nil {
		return shared.server, shared.err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := Start(ctx)
	if err == nil {
		err = s.CreateDatabase(ctx, templateName, "")
		if err == nil && shared.prepare != nil {
			if err = shared.prepare(ctx, s.DSN(templateName)); err != nil {
				err = fmt.Errorf("migrate the template database: %w", err)
			}
		}
		if err == nil {
			err = readResetScript(ctx, s)
		}
		if err != nil {
			s.Stop()
		}
	}
	if err != nil {
		shared.err = fmt.Errorf("start PostgreSQL for the tests: %w", err)
		return nil, shared.err
	}
	shared.server = s
	return s, nil
}

func stop() {
	shared.Lock()
	defer shared.Unlock()
	if shared.server != nil {
		shared.pool.close()
		if err := shared.server.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		}
		shared.server = nil
	}
}

// NewDatabase gives the calling test a database of its own in the
// template's state (the schema migrated, no rows) and returns its URL.
// When the test ends the database is emptied for the next test (see
// pool). The server is started on first use.
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	s, err := server()
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	db := shared.pool.take()
	if db == nil {
		name := fmt.Sprintf("t%d_%d", os.Getpid(), seq.Add(1))
		if err := s.CreateDatabase(ctx, name, templateName); err != nil {
			tb.Fatal(err)
		}
		conn, err := sql.Open("pgx", s.DSN(name))
		if err != nil {
			tb.Fatal(err)
		}
		conn.SetMaxOpenConns(1)
		db = &pooledDB{name: name, conn: conn}
	}
	tb.Cleanup(func() {
		if err := shared.pool.giveBack(context.Background(), s, db); err != nil {
			tb.Error(err)
		}
	})
	return s.DSN(db.name)
}

// readResetScript reads, from the migrated template, how a test's
// database goes back to its state.
func readResetScript(ctx context.Context, s *Server) error {
	template, err := sql.Open("pgx", s.DSN(templateName))
	if err != nil {
		return err
	}
	defer template.Close()
	script, err := resetScript(ctx, template)
	if err != nil {
		return fmt.Errorf("read the template database: %w", err)
	}
	shared.pool.reset = script
	return nil
}

// NewEmptyDatabase is NewDatabase without the schema: a database nothing
// has written to.
func NewEmptyDatabase(tb testing.TB) string {
	tb.Helper()
	s, err := server()
	if err != nil {
		tb.Fatal(err)
	}
	name := fmt.Sprintf("t%d_%d", os.Getpid(), seq.Add(1))
	ctx := context.Background()
	if err := s.CreateDatabase(ctx, name, "template0"); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.DropDatabase(context.Background(), name); err != nil {
			tb.Error(err)
		}
	})
	return s.DSN(name)
}
