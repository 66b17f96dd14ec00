package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/fsdialer/dialer/config"
	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/engine"
	"github.com/fsdialer/dialer/dialer/httpapi"
	"github.com/fsdialer/dialer/dialer/schedule"
	"github.com/fsdialer/dialer/dialer/webhook"
	"github.com/fsdialer/dialer/esl"
	"github.com/fsdialer/dialer/esl/fssim"
	"github.com/fsdialer/dialer/store"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"
)

// serveOptions are the flags of `dialer serve`.
type serveOptions struct {
	sim        bool
	simSpeed   float64
	simSeed    int64
	untilDone  bool
	drain      time.Duration
	statusTick time.Duration
	// httpAddr, when set, is told the address the HTTP listener got.
	httpAddr func(addr string)
}

func newServeCmd(a *app) *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the dialer daemon: work every running campaign through FreeSWITCH",
		Long: `Run the daemon: connect to FreeSWITCH's event socket, work every running
campaign from the store, and keep going until SIGINT or SIGTERM. On a
signal no new call is started; calls in progress may finish for up to
--drain, and whatever is still open is reconciled at the next start.

Campaign changes made with the CLI (start, pause, stop, apply, member
import) reach the running daemon within a second. Only one daemon may work
a database at a time. The daemon also delivers campaigns' callback events
(callback_url), retrying with backoff; see dialer webhook.

With --sim the daemon starts a FreeSWITCH simulator in-process (the test
numbering plan) and runs on the simulator's clock, --sim-speed times faster
than real time: retry intervals and calendars follow that clock too.`,
		Example: `  dialer serve
  dialer serve --esl-address 10.0.0.5:8021 --esl-password secret --log-format json
  dialer serve --sim --sim-speed 50 --until-done`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.serve(cmd, o) },
	}
	f := cmd.Flags()
	f.String("esl-address", "", "FreeSWITCH event socket host:port (config esl.address)")
	f.String("esl-password", "", "event socket password (config esl.password)")
	f.String("http-listen", "", "address of the HTTP API, /metrics, /healthz and /readyz (config http.listen; port 0 picks one)")
	f.BoolVar(&o.sim, "sim", false, "run against an in-process FreeSWITCH simulator")
	f.Float64Var(&o.simSpeed, "sim-speed", 1, "with --sim: simulated time runs this many times faster")
	f.Int64Var(&o.simSeed, "sim-seed", 1, "with --sim: seed of the simulator's random outcomes")
	f.BoolVar(&o.untilDone, "until-done", false, "exit once no campaign is running and no call is in progress")
	f.DurationVar(&o.drain, "drain", 10*time.Second, "on shutdown, how long calls in progress may finish")
	f.DurationVar(&o.statusTick, "status-interval", time.Second, "how often the daemon writes its status for dialer status")
	return cmd
}

func (a *app) serve(cmd *cobra.Command, o serveOptions) error {
	ctx := cmd.Context()
	log := a.logger(cmd.ErrOrStderr())
	cfg := a.cfg
	now := a.now
	if o.sim {
		if o.simSpeed <= 0 {
			return fmt.Errorf("--sim-speed %v: must be positive", o.simSpeed)
		}
		sim := fssim.New(fssim.Options{Password: cfg.ESL.Password, Speed: o.simSpeed, Seed: o.simSeed,
			Logger: log.With("component", "fssim")})
		if err := sim.Start(context.WithoutCancel(ctx), "127.0.0.1:0"); err != nil {
			return fmt.Errorf("start simulator: %w", err)
		}
		defer sim.Close()
		cfg.ESL.Address = sim.Addr()
		now = sim.Now
		log.Info("simulator started", "addr", sim.Addr(), "speed", o.simSpeed)
	}
	return runDaemon(ctx, cfg, o, now, log)
}

// runDaemon runs the daemon until ctx ends (or, with --until-done, until
// nothing is left to do): the ESL client, the switch adapter, the engine
// and the status writer, as one errgroup. On shutdown the engine drains
// first, while the connection still delivers hangups.
func runDaemon(ctx context.Context, cfg config.Config, o serveOptions, now func() time.Time, log *slog.Logger) error {
	if err := httpapi.CheckListen(cfg.HTTP.Listen, cfg.HTTP.Token); err != nil {
		return err
	}
	if err := store.CheckWritable(cfg.Database); err != nil {
		return err
	}
	lock, err := lockDatabase(cfg.Database)
	if err != nil {
		return err
	}
	defer lock.Close()
	log.Info("checking database", "database", cfg.Database)
	db, err := store.Open(ctx, cfg.Database, store.WithClock(now), store.WithFullCheck())
	if err != nil {
		return err
	}
	defer db.Close()
	if db.Shared() {
		host, _ := os.Hostname()
		id, err := db.JoinCluster(ctx, host, os.Getpid(), cfg.Cluster.Lease,
			store.SharedLimits{MaxCalls: cfg.Limits.MaxCalls, MaxCPS: cfg.Limits.MaxCPS})
		if err != nil {
			return err
		}
		// After the drain: the calls still open are adopted at once.
		defer func() {
			if err := db.LeaveCluster(context.WithoutCancel(ctx)); err != nil {
				log.Warn("end the daemon's lease", "err", err)
			}
		}()
		log.Info("sharing the database with other daemons", "daemon_id", id, "lease", cfg.Cluster.Lease)
	}
	// Once the database is found damaged every component's next store call
	// fails the same way: the daemon says so once (loud), the rest is debug.
	loud := log
	log = quietCorruption(log)
	reg := prometheus.NewRegistry()
	m, err := newMetrics(reg)
	if err != nil {
		return err
	}
	sw, conn, err := connectSwitches(cfg.ESL, reg, now, log)
	if err != nil {
		return err
	}
	defer sw.Close()
	if ns, ok := sw.(*nodeSwitch); ok {
		if err := reg.Register(newNodeCollector(ns)); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", cfg.HTTP.Listen)
	if err != nil {
		return fmt.Errorf("http.listen %s: %w", cfg.HTTP.Listen, err)
	}
	defer ln.Close()
	if o.httpAddr != nil {
		o.httpAddr(ln.Addr().String())
	}
	drain := o.drain
	if drain <= 0 {
		drain = 10 * time.Second
	}
	eng := engine.New(engine.Config{MaxCalls: cfg.Limits.MaxCalls, MaxCPS: cfg.Limits.MaxCPS, Now: now, Logger: log,
		Drain: drain, NodeGrace: cfg.ESL.NodeGrace, Observer: m, ManualDial: cfg.Manual.DialTemplate, ManualCallerID: cfg.Manual.CallerID,
		ManualRingTimeout: cfg.Manual.RingTimeout, StrictPriority: cfg.Priority == config.PriorityStrict}, db, sw)
	if err := reg.Register(newLiveCollector(eng)); err != nil {
		return err
	}
	sched := schedule.New(db, schedule.Options{Now: now, Logger: log})
	hooks := webhook.New(db, webhook.Options{Now: now, Workers: cfg.Webhooks.Workers, Timeout: cfg.Webhooks.Timeout,
		MaxTries: cfg.Webhooks.MaxTries, Backoff: cfg.Webhooks.Backoff, MaxBackoff: cfg.Webhooks.MaxBackoff,
		UserAgent: "fsdialer/" + version, Logger: log.With("component", "webhook"), Observer: m})
	log.Info("dialer starting", "version", version, "database", cfg.Database, "esl", eslTargets(cfg.ESL))

	infra, stopInfra := context.WithCancel(context.WithoutCancel(ctx))
	defer stopInfra()
	work, stopWork := context.WithCancel(ctx)
	defer stopWork()
	g, gctx := errgroup.WithContext(infra)
	g.Go(func() error { return sw.Run(gctx) })
	if db.Shared() {
		g.Go(func() error { return renewLease(gctx, db, cfg.Cluster.Lease, now, log) })
	}
	g.Go(func() error {
		<-gctx.Done()
		stopWork()
		return nil
	})
	started := time.Now()
	g.Go(func() error {
		err := eng.Run(work)
		stopInfra()
		return err
	})
	// The scheduler works on the engine's context: no campaign is started
	// while the engine drains.
	g.Go(func() error { return sched.Run(work) })
	g.Go(func() error { return db.RunCheckpoints(gctx, time.Second) })
	// Callbacks go out on the infra context, so they keep going while the
	// engine drains; the engine only writes outbox rows, so a slow
	// receiver never holds up a call.
	g.Go(func() error { return hooks.Run(gctx) })
	api := httpapi.New(db, eng, httpapi.Options{Token: cfg.HTTP.Token, MaxBody: cfg.HTTP.MaxBody, Now: now, Logger: log})
	g.Go(func() error { return serveHTTP(gctx, ln, reg, conn, api.Handler(), log) })
	g.Go(func() error {
		err := reportStatus(gctx, work, db, eng, conn, o, started, log)
		if errors.Is(err, errDone) {
			// Nothing left to do: the engine stops as on a signal, hanging
			// up the agents' sessions while the switch is still there.
			stopWork()
			return nil
		}
		return err
	})
	// A damaged database stops the dialing: the engine drains as on a
	// signal, and the daemon exits with the store's error.
	g.Go(func() error {
		select {
		case <-gctx.Done():
		case <-db.Corrupted():
			loud.Error("database damaged: no new calls; calls in progress may finish, then the daemon exits",
				"database", cfg.Database, "drain", drain, "err", db.CorruptErr())
			stopWork()
		}
		return nil
	})
	err = g.Wait()
	if cerr := db.CorruptErr(); cerr != nil {
		err = fmt.Errorf("stopped dialing: %w", cerr)
	}
	sw.Close()
	failed := err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, errDone)
	stopErr := ""
	if failed {
		stopErr = err.Error()
	}
	if serr := db.MarkDaemonStopped(context.Background(), os.Getpid(), time.Now(), stopErr); serr != nil {
		log.Warn("record daemon stop", "err", serr)
	}
	if failed {
		return err
	}
	log.Info("dialer stopped")
	return nil
}

// reportStatus writes the daemon's status for `dialer status` and, with
// --until-done, ends the run when nothing is left to do.
func reportStatus(ctx, work context.Context, db *store.DB, eng *engine.Engine, client switchConn,
	o serveOptions, started time.Time, log *slog.Logger) error {
	host, _ := os.Hostname()
	tick := o.statusTick
	if tick <= 0 {
		tick = time.Second
	}
	ticker := time.NewTicker(tick)
	defer ticker.Stop()
	var lastOriginates uint64
	lastBy := map[string]uint64{}
	lastAt := time.Now()
	idleTicks := 0
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
		snap := eng.Snapshot()
		health := client.Health()
		st := client.Stats()
		elapsed := time.Since(lastAt).Seconds()
		cps := float64(snap.Originates-lastOriginates) / max(elapsed, 1e-3)
		lastOriginates, lastAt = snap.Originates, time.Now()
		// Status times are wall-clock times (also under --sim) so that
		// `dialer status` can tell a live daemon from a dead one.
		ds := store.DaemonStatus{PID: os.Getpid(), Host: host, Version: version, StartedAt: started, UpdatedAt: time.Now(),
			ESLReconnects: int(st.Reconnects), CallsInProgress: snap.InFlight, OriginatesPerSec: cps}
		eslStatus(&ds, health)
		ds.Nodes = client.Nodes()
		active := 0
		for _, c := range snap.Campaigns {
			if c.Active {
				active++
			}
			ds.Campaigns = append(ds.Campaigns, store.CampaignLive{Name: c.Name, LinesInUse: c.InFlight, MaxLines: c.MaxLines,
				CallsPerSec: float64(c.Originates-lastBy[c.Name]) / max(elapsed, 1e-3)})
			lastBy[c.Name] = c.Originates
		}
		if err := db.WriteDaemonStatus(ctx, ds); err != nil {
			log.Warn("write daemon status", "err", err)
		}
		if o.untilDone && work.Err() == nil {
			running, err := runningCampaigns(ctx, db)
			if err != nil {
				log.Warn("check campaigns", "err", err)
				continue
			}
			if running == 0 && snap.InFlight == 0 && active == 0 {
				idleTicks++
			} else {
				idleTicks = 0
			}
			if idleTicks >= 2 {
				log.Info("no campaign running and no call in progress: exiting (--until-done)")
				return errDone
			}
		}
	}
}

// eslStatus fills the event socket's part of the daemon's status. While
// the client retries, its state flips between connecting and
// disconnected: a connection that is down for a known reason reads as
// disconnected throughout.
func eslStatus(ds *store.DaemonStatus, h esl.Health) {
	ds.ESLState, ds.ESLSince = h.State.String(), h.Since
	if h.State != esl.StateConnected && h.Err != nil {
		ds.ESLState, ds.ESLError, ds.ESLRetry = esl.StateDisconnected.String(), h.Err.Error(), dialer.Duration(h.Retry)
	}
}

// errDone ends the errgroup when --until-done sees nothing left to do.
var errDone = errors.New("done")

func runningCampaigns(ctx context.Context, db *store.DB) (int, error) {
	return db.CountCampaigns(ctx, dialer.StateRunning)
}

// lockDatabase takes an exclusive lock next to the database so that two
// daemons never work the same campaigns (a member would be in two calls).
// A PostgreSQL database has no file beside it: nil, nothing to release.
func lockDatabase(path string) (*os.File, error) {
	if store.IsPostgres(path) {
		return nil, nil
	}
	f, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("another dialer daemon is working %s (lock %s.lock held)", path, path)
	}
	return f, nil
}
