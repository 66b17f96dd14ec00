// Package pgtest runs a real PostgreSQL server for tests, and runs a
// package's tests once on SQLite and once on PostgreSQL.
//
// The server is initdb's fresh cluster in a temporary directory, started
// on a free port of 127.0.0.1 and stopped (fast shutdown) when the tests
// end. Root may not run PostgreSQL: as root the cluster belongs to the
// postgres user and the server runs as that user. The binaries come from
// PATH or /usr/lib/postgresql/*/bin; without them the tests fail, saying
// what to install.
package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	// The pgx driver for database/sql, registered as "pgx".
	_ "github.com/jackc/pgx/v5/stdlib"
)

// Server is a PostgreSQL server run for tests.
type Server struct {
	dir   string // the temporary directory: data/, the socket, the log
	port  int
	proc  *exec.Cmd
	exit  chan error // the server process's end
	admin *sql.DB    // the postgres database, for CREATE and DROP DATABASE
}

// errNoBinaries says how to get the server when it cannot be found.
var errNoBinaries = errors.New("PostgreSQL's initdb and postgres were found neither in PATH nor in " +
	"/usr/lib/postgresql/*/bin: install them (Debian: apt-get install postgresql) to run the PostgreSQL tests")

// binDir is the directory of initdb and postgres: initdb's in PATH, or the
// newest /usr/lib/postgresql/N/bin.
func binDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "postgres")); err == nil {
			return dir, nil
		}
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(found, func(i, j int) bool { return version(found[i]) > version(found[j]) })
	for _, p := range found {
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "postgres")); err == nil {
			return dir, nil
		}
	}
	return "", errNoBinaries
}

// version is N in /usr/lib/postgresql/N/bin/initdb.
func version(initdb string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return n
}

// Start initialises a cluster in a new temporary directory and starts
// its server. Stop stops it and removes the directory.
func Start(ctx context.Context) (*Server, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "dialer-pgtest-")
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, exit: make(chan error, 1)}
	cred, err := serverUser(dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	data := filepath.Join(dir, "data")
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres",
		"-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	initdb.Dir = dir
	if out, err := initdb.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	if s.port, err = freePort(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	logFile, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	defer logFile.Close()
	// Durability is of no use to a test cluster: no fsync, no full pages.
	s.proc = exec.Command(filepath.Join(bin, "postgres"), "-D", data,
		"-p", strconv.Itoa(s.port), "-k", dir,
		"-c", "listen_addresses=127.0.0.1",
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=300", "-c", "shared_buffers=128MB")
	s.proc.Dir = dir
	s.proc.Stdout, s.proc.Stderr = logFile, logFile
	s.proc.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT, Setpgid: true}
	if err := s.proc.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	go func() { s.exit <- s.proc.Wait() }()
	if err := s.waitReady(ctx); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// serverUser is who runs initdb and the server, with dir made theirs: the
// current user, or postgres when that is root.
func serverUser(dir string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, PostgreSQL must run as another user and there is no postgres user (%w): "+
			"install the server (Debian: apt-get install postgresql), which creates it", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		return nil, err
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// freePort is a TCP port of 127.0.0.1 that nothing listens on.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitReady waits until the server accepts a connection.
func (s *Server) waitReady(ctx context.Context) error {
	admin, err := sql.Open("pgx", s.DSN("postgres"))
	if err != nil {
		return err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		err := admin.PingContext(pctx)
		cancel()
		if err == nil {
			s.admin = admin
			return nil
		}
		select {
		case werr := <-s.exit:
			s.exit <- werr
			admin.Close()
			return fmt.Errorf("postgres exited while starting (%v):\n%s", werr, s.log())
		case <-ctx.Done():
			admin.Close()
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			admin.Close()
			return fmt.Errorf("postgres did not accept connections within 30 s (%v):\n%s", err, s.log())
		}
	}
}

// log is the end of the server's log, for an error.
func (s *Server) log() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "server.log"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// DSN is the URL of database name on the server.
func (s *Server) DSN(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.port, name)
}

// CreateDatabase creates database name, a copy of template when that is
// not empty.
func (s *Server) CreateDatabase(ctx context.Context, name, template string) error {
	q := `CREATE DATABASE ` + quoteIdent(name)
	if template != "" {
		q += ` TEMPLATE ` + quoteIdent(template)
	}
	if _, err := s.admin.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// DropDatabase drops database name, closing its connections.
func (s *Server) DropDatabase(ctx context.Context, name string) error {
	if _, err := s.admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+quoteIdent(name)+` WITH (FORCE)`); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}

func quoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// Stop shuts the server down (fast shutdown: sessions are ended, nothing
// waits) and removes its directory.
func (s *Server) Stop() error {
	if s.admin != nil {
		s.admin.Close()
	}
	var err error
	if s.proc != nil && s.proc.Process != nil {
		s.proc.Process.Signal(syscall.SIGINT)
		select {
		case <-s.exit:
		case <-time.After(15 * time.Second):
			s.proc.Process.Kill()
			<-s.exit
			err = errors.New("postgres did not stop within 15 s of a fast shutdown; killed")
		}
	}
	if rerr := os.RemoveAll(s.dir); err == nil {
		err = rerr
	}
	return err
}
