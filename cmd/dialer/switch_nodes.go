package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fsdialer/dialer/config"
	"github.com/fsdialer/dialer/dialer/engine"
	"github.com/fsdialer/dialer/esl"
	"github.com/fsdialer/dialer/store"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"
)

// nodeSwitch is the engine's Switch over several FreeSWITCH nodes
// (esl.nodes), each an eslSwitch on its own ESL client. It places each
// call on a node (Place), routes every command about a channel to the
// node the channel is on, and merges the nodes' updates, its connection
// markers named by node. A node counts the calls placed on it against its
// max_calls until their end, and its originates against its max_cps.
type nodeSwitch struct {
	nodes   []*switchNode
	byName  map[string]*switchNode
	now     func() time.Time
	log     *slog.Logger
	updates chan engine.Update

	mu sync.Mutex
	// on is the node of each channel placed, originated or located;
	// holding are the calls that hold one of their node's lines.
	on      map[string]*switchNode
	holding map[string]bool
}

// switchNode is one node; the fields below sw are guarded by
// nodeSwitch.mu.
type switchNode struct {
	name     string
	address  string
	maxCalls int
	maxCPS   float64
	client   *esl.Client
	sw       *eslSwitch

	up         bool
	since      time.Time // when it last connected or was lost
	calls      int       // calls holding a line
	tokens     float64   // originates it may take now (max_cps bucket)
	filled     time.Time
	originates uint64
}

// nodeSpec is one node to connect to.
type nodeSpec struct {
	name, address string
	maxCalls      int
	maxCPS        float64
	client        *esl.Client
}

func newNodeSwitch(specs []nodeSpec, now func() time.Time, log *slog.Logger) *nodeSwitch {
	s := &nodeSwitch{byName: map[string]*switchNode{}, now: now, log: log.With("component", "nodes"),
		updates: make(chan engine.Update, 65536), on: map[string]*switchNode{}, holding: map[string]bool{}}
	start := now()
	for _, sp := range specs {
		n := &switchNode{name: sp.name, address: sp.address, maxCalls: sp.maxCalls, maxCPS: sp.maxCPS,
			client: sp.client, sw: newESLSwitch(sp.client, log.With("node", sp.name)),
			since: start, tokens: 1, filled: start}
		s.nodes = append(s.nodes, n)
		s.byName[n.name] = n
	}
	return s
}

// Run runs every node's client and adapter, and merges their updates,
// until ctx ends.
func (s *nodeSwitch) Run(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	for _, n := range s.nodes {
		g.Go(func() error { return n.client.Run(gctx) })
		g.Go(func() error { return n.sw.Run(gctx) })
		g.Go(func() error { s.forward(gctx, n); return nil })
	}
	return g.Wait()
}

// Close closes every node's client.
func (s *nodeSwitch) Close() {
	for _, n := range s.nodes {
		n.client.Close()
	}
}

// forward passes a node's updates on: connection markers named by the
// node, and a call's end gives back its line.
func (s *nodeSwitch) forward(ctx context.Context, n *switchNode) {
	for {
		var u engine.Update
		select {
		case <-ctx.Done():
			return
		case u = <-n.sw.Updates():
		}
		s.mu.Lock()
		switch u.Kind {
		case engine.Reconnected, engine.Disconnected:
			up := u.Kind == engine.Reconnected
			if n.up != up {
				n.since = s.now()
			}
			n.up = up
			u.Node = n.name
		case engine.CallChanged:
			if u.Final && s.on[u.UUID] == n {
				s.release(u.UUID)
				delete(s.on, u.UUID)
			}
		}
		s.mu.Unlock()
		select {
		case s.updates <- u:
		case <-ctx.Done():
			return
		}
	}
}

// release gives back the line a call holds; s.mu is held.
func (s *nodeSwitch) release(uuid string) {
	if s.holding[uuid] {
		delete(s.holding, uuid)
		s.on[uuid].calls--
	}
}

// fill tops up a node's originate bucket; s.mu is held. The bucket holds
// at most one second of originates, so a quiet node cannot burst.
func (n *switchNode) fill(now time.Time) {
	if el := now.Sub(n.filled).Seconds(); el > 0 {
		n.tokens = min(n.tokens+el*n.maxCPS, max(n.maxCPS, 1))
	}
	n.filled = now
}

// Place implements engine.Switch.
func (s *nodeSwitch) Place(uuid, node string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var best *switchNode
	for _, n := range s.nodes {
		if !n.up || node != "" && n.name != node {
			continue
		}
		n.fill(now)
		if n.calls >= n.maxCalls || n.tokens < 1 {
			continue
		}
		if best == nil || n.maxCalls-n.calls > best.maxCalls-best.calls {
			best = n
		}
	}
	if best == nil {
		if node != "" && s.byName[node] == nil {
			return "", fmt.Errorf("node %q is not in esl.nodes: %w", node, engine.ErrNoRoom)
		}
		return "", engine.ErrNoRoom
	}
	best.tokens--
	best.calls++
	s.on[uuid], s.holding[uuid] = best, true
	return best.name, nil
}

// Unplace implements engine.Switch.
func (s *nodeSwitch) Unplace(uuid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.on[uuid] != nil {
		s.release(uuid)
		delete(s.on, uuid)
	}
}

// NodeOf implements engine.Switch.
func (s *nodeSwitch) NodeOf(uuid string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := s.on[uuid]; n != nil {
		return n.name
	}
	return ""
}

// Locate implements engine.Switch.
func (s *nodeSwitch) Locate(uuid, node string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := s.byName[node]; n != nil && s.on[uuid] == nil {
		s.on[uuid] = n
	}
}

// Connected implements engine.Switch: some node can take calls.
func (s *nodeSwitch) Connected() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range s.nodes {
		if n.up {
			return true
		}
	}
	return false
}

// Updates implements engine.Switch.
func (s *nodeSwitch) Updates() <-chan engine.Update { return s.updates }

// Originate implements engine.Switch: to the node the call was placed on,
// or for an agent's leg the node it names.
func (s *nodeSwitch) Originate(ctx context.Context, req engine.OriginateRequest) error {
	s.mu.Lock()
	n := s.on[req.UUID]
	if n == nil {
		n = s.byName[req.Node]
	}
	if n == nil {
		s.mu.Unlock()
		return fmt.Errorf("originate %s: no node named %q: %w", req.UUID, req.Node, engine.ErrNotSent)
	}
	if !n.up {
		s.release(req.UUID)
		s.mu.Unlock()
		return fmt.Errorf("originate %s: node %s is disconnected: %w", req.UUID, n.name, engine.ErrNotSent)
	}
	s.on[req.UUID] = n
	n.originates++
	s.mu.Unlock()
	return n.sw.Originate(ctx, req)
}

// nodeFor is the node a command about a channel goes to: the one it is
// known to be on, else the connected node that has it. A channel on a
// lost node, or one no connected node has while a node is lost, is a
// *engine.NodeDownError.
func (s *nodeSwitch) nodeFor(ctx context.Context, uuid string) (*switchNode, error) {
	n, _, err := s.locate(ctx, uuid)
	return n, err
}

// locate is nodeFor; found reports that the channel's node was unknown
// and was found by asking the connected nodes, so it exists.
func (s *nodeSwitch) locate(ctx context.Context, uuid string) (*switchNode, bool, error) {
	s.mu.Lock()
	n := s.on[uuid]
	var down *engine.NodeDownError
	if n != nil && !n.up {
		down = &engine.NodeDownError{Node: n.name, Since: n.since}
	}
	var ups []*switchNode
	if n == nil {
		for _, o := range s.nodes {
			if o.up {
				ups = append(ups, o)
			} else if down == nil {
				down = &engine.NodeDownError{Node: o.name, Since: o.since}
			}
		}
	}
	s.mu.Unlock()
	if n != nil {
		if down != nil {
			return nil, false, down
		}
		return n, false, nil
	}
	for _, o := range ups {
		ok, err := o.sw.Exists(ctx, uuid)
		if err != nil {
			return nil, false, fmt.Errorf("node %s: %w", o.name, err)
		}
		if ok {
			s.Locate(uuid, o.name)
			return o, true, nil
		}
	}
	if down != nil {
		return nil, false, down
	}
	return nil, false, errNoChannel
}

var errNoChannel = errors.New("no node has the channel")

// Exists implements engine.Switch.
func (s *nodeSwitch) Exists(ctx context.Context, uuid string) (bool, error) {
	n, found, err := s.locate(ctx, uuid)
	switch {
	case errors.Is(err, errNoChannel):
		return false, nil
	case err != nil:
		return false, err
	case found:
		return true, nil
	}
	return n.sw.Exists(ctx, uuid)
}

// Watch implements engine.Switch: on the channel's node, or on every node
// while it is not known.
func (s *nodeSwitch) Watch(uuid string, vars ...string) {
	s.mu.Lock()
	n := s.on[uuid]
	s.mu.Unlock()
	if n != nil {
		n.sw.Watch(uuid, vars...)
		return
	}
	for _, o := range s.nodes {
		o.sw.Watch(uuid, vars...)
	}
}

// Forget implements engine.Switch.
func (s *nodeSwitch) Forget(uuid string) {
	for _, n := range s.nodes {
		n.sw.Forget(uuid)
	}
	s.mu.Lock()
	if s.on[uuid] != nil {
		s.release(uuid)
		delete(s.on, uuid)
	}
	s.mu.Unlock()
}

// Kill implements engine.Switch.
func (s *nodeSwitch) Kill(ctx context.Context, uuid, cause string) error {
	sw, err := s.switchOf(ctx, uuid, "uuid_kill")
	if err != nil {
		return err
	}
	return sw.Kill(ctx, uuid, cause)
}

// Bridge implements engine.Switch: both legs must be on one node.
func (s *nodeSwitch) Bridge(ctx context.Context, a, b string) error {
	na, err := s.nodeFor(ctx, a)
	if err != nil {
		return fmt.Errorf("uuid_bridge %s: %w", a, err)
	}
	nb, err := s.nodeFor(ctx, b)
	if err != nil {
		return fmt.Errorf("uuid_bridge %s: %w", b, err)
	}
	if na != nb {
		return fmt.Errorf("uuid_bridge %s %s: the legs are on nodes %s and %s", a, b, na.name, nb.name)
	}
	return na.sw.Bridge(ctx, a, b)
}

// switchOf is the adapter of the node a command (what) about a channel
// goes to.
func (s *nodeSwitch) switchOf(ctx context.Context, uuid, what string) (*eslSwitch, error) {
	n, err := s.nodeFor(ctx, uuid)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", what, uuid, err)
	}
	return n.sw, nil
}

// Ringback implements engine.Switch.
func (s *nodeSwitch) Ringback(ctx context.Context, uuid string) error {
	sw, err := s.switchOf(ctx, uuid, "ringback")
	if err != nil {
		return err
	}
	return sw.Ringback(ctx, uuid)
}

// Abandon implements engine.Switch.
func (s *nodeSwitch) Abandon(ctx context.Context, uuid, media string) error {
	sw, err := s.switchOf(ctx, uuid, "abandon")
	if err != nil {
		return err
	}
	return sw.Abandon(ctx, uuid, media)
}

// Record implements engine.Switch.
func (s *nodeSwitch) Record(ctx context.Context, uuid, path string, stereo bool) (string, error) {
	sw, err := s.switchOf(ctx, uuid, "uuid_record")
	if err != nil {
		return "", err
	}
	return sw.Record(ctx, uuid, path, stereo)
}

// StartAMD implements engine.Switch.
func (s *nodeSwitch) StartAMD(ctx context.Context, uuid string) error {
	sw, err := s.switchOf(ctx, uuid, "avmd start")
	if err != nil {
		return err
	}
	return sw.StartAMD(ctx, uuid)
}

// StopAMD implements engine.Switch.
func (s *nodeSwitch) StopAMD(ctx context.Context, uuid string) error {
	sw, err := s.switchOf(ctx, uuid, "avmd stop")
	if err != nil {
		return err
	}
	return sw.StopAMD(ctx, uuid)
}

// Transfer implements engine.Switch.
func (s *nodeSwitch) Transfer(ctx context.Context, uuid, extension, dialplan, dpContext string) error {
	sw, err := s.switchOf(ctx, uuid, "uuid_transfer")
	if err != nil {
		return err
	}
	return sw.Transfer(ctx, uuid, extension, dialplan, dpContext)
}

// GetVar implements engine.Switch.
func (s *nodeSwitch) GetVar(ctx context.Context, uuid, name string) (string, error) {
	sw, err := s.switchOf(ctx, uuid, "uuid_getvar")
	if err != nil {
		return "", err
	}
	return sw.GetVar(ctx, uuid, name)
}

// nodeLive is one node's live figures, for status and metrics.
type nodeLive struct {
	Name, Address string
	Up            bool
	Since         time.Time
	Calls         int
	MaxCalls      int
	Originates    uint64
}

// Live returns every node's figures, by name.
func (s *nodeSwitch) Live() []nodeLive {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]nodeLive, 0, len(s.nodes))
	for _, n := range s.nodes {
		out = append(out, nodeLive{Name: n.name, Address: n.address, Up: n.up, Since: n.since, Calls: n.calls,
			MaxCalls: n.maxCalls, Originates: n.originates})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// nodeCollector exports the nodes' figures as metrics.
type nodeCollector struct {
	s                          *nodeSwitch
	up, calls, max, originates *prometheus.Desc
}

func newNodeCollector(s *nodeSwitch) *nodeCollector {
	l := []string{"node"}
	return &nodeCollector{s: s,
		up:         prometheus.NewDesc("dialer_node_up", "Whether the daemon is connected to the switch node (1) or not (0).", l, nil),
		calls:      prometheus.NewDesc("dialer_node_calls", "Calls in progress on the switch node.", l, nil),
		max:        prometheus.NewDesc("dialer_node_max_calls", "The switch node's max_calls.", l, nil),
		originates: prometheus.NewDesc("dialer_node_originates_total", "Originates sent to the switch node.", l, nil),
	}
}

func (c *nodeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.up
	ch <- c.calls
	ch <- c.max
	ch <- c.originates
}

func (c *nodeCollector) Collect(ch chan<- prometheus.Metric) {
	for _, n := range c.s.Live() {
		up := 0.0
		if n.Up {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, up, n.Name)
		ch <- prometheus.MustNewConstMetric(c.calls, prometheus.GaugeValue, float64(n.Calls), n.Name)
		ch <- prometheus.MustNewConstMetric(c.max, prometheus.GaugeValue, float64(n.MaxCalls), n.Name)
		ch <- prometheus.MustNewConstMetric(c.originates, prometheus.CounterValue, float64(n.Originates), n.Name)
	}
}

// daemonSwitch is the switch the daemon runs: one node (eslSwitch over
// its client) or several (nodeSwitch).
type daemonSwitch interface {
	engine.Switch
	Run(ctx context.Context) error
	Close()
}

// switchConn is the daemon's connection to its switch, or to its nodes,
// as the status writer and /readyz see it.
type switchConn interface {
	Health() esl.Health
	Stats() esl.Stats
	State() (esl.ConnState, error)
	// Nodes are the nodes of a daemon working several; nil with one.
	Nodes() []store.NodeLive
}

// connectSwitches builds the daemon's switch from esl: the one switch at
// esl.address as before, or a nodeSwitch over esl.nodes, each node's
// client with its metrics labelled by node.
func connectSwitches(cfg config.ESL, reg prometheus.Registerer, now func() time.Time, log *slog.Logger) (daemonSwitch, switchConn, error) {
	client := func(addr, password string, r prometheus.Registerer, log *slog.Logger) (*esl.Client, error) {
		return esl.New(esl.Config{Addr: addr, Password: password, Logger: log,
			DialTimeout: cfg.DialTimeout, AuthTimeout: cfg.DialTimeout, CommandTimeout: cfg.CommandTimeout,
			HeartbeatTimeout: cfg.HeartbeatTimeout, Events: switchEvents, CustomSubclasses: switchSubclasses,
			Filters: switchFilters, Registerer: r})
	}
	if len(cfg.Nodes) == 0 {
		c, err := client(cfg.Address, cfg.Password, reg, log)
		if err != nil {
			return nil, nil, err
		}
		return &oneSwitch{eslSwitch: newESLSwitch(c, log)}, oneConn{c}, nil
	}
	var specs []nodeSpec
	for _, n := range cfg.Switches() {
		l := log.With("node", n.Name)
		c, err := client(n.Address, n.Password, prometheus.WrapRegistererWith(prometheus.Labels{"node": n.Name}, reg), l)
		if err != nil {
			for _, sp := range specs {
				sp.client.Close()
			}
			return nil, nil, fmt.Errorf("esl.nodes %s: %w", n.Name, err)
		}
		specs = append(specs, nodeSpec{name: n.Name, address: n.Address, maxCalls: n.MaxCalls, maxCPS: n.MaxCPS, client: c})
	}
	ns := newNodeSwitch(specs, now, log)
	return ns, ns, nil
}

// eslTargets names the switch or switches the daemon speaks to, for its
// log.
func eslTargets(cfg config.ESL) string {
	if len(cfg.Nodes) == 0 {
		return cfg.Address
	}
	var b strings.Builder
	for i, n := range cfg.Nodes {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(n.Name + "=" + n.Address)
	}
	return b.String()
}

// oneSwitch is the daemon's one switch: its client runs beside it.
type oneSwitch struct{ *eslSwitch }

func (s *oneSwitch) Run(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return s.c.Run(gctx) })
	g.Go(func() error { return s.eslSwitch.Run(gctx) })
	return g.Wait()
}

func (s *oneSwitch) Close() { s.c.Close() }

// oneConn is the one switch's client as a switchConn.
type oneConn struct{ *esl.Client }

func (oneConn) Nodes() []store.NodeLive { return nil }

// Health implements switchConn: the best node's (connected, or the one
// down the shortest time).
func (s *nodeSwitch) Health() esl.Health {
	var best esl.Health
	for i, n := range s.nodes {
		h := n.client.Health()
		if i == 0 || h.State == esl.StateConnected && best.State != esl.StateConnected {
			best = h
		}
	}
	return best
}

// Stats implements switchConn: the nodes' reconnects added up.
func (s *nodeSwitch) Stats() esl.Stats {
	var st esl.Stats
	for _, n := range s.nodes {
		st.Reconnects += n.client.Stats().Reconnects
	}
	return st
}

// State implements switchConn: connected while some node is.
func (s *nodeSwitch) State() (esl.ConnState, error) {
	var errs []error
	state := esl.StateDisconnected
	for _, n := range s.nodes {
		st, err := n.client.State()
		if st == esl.StateConnected {
			return st, nil
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("node %s: %w", n.name, err))
		}
		state = st
	}
	return state, errors.Join(errs...)
}

// Nodes implements switchConn.
func (s *nodeSwitch) Nodes() []store.NodeLive {
	var out []store.NodeLive
	for _, n := range s.Live() {
		st := esl.StateDisconnected.String()
		if n.Up {
			st = esl.StateConnected.String()
		}
		out = append(out, store.NodeLive{Name: n.Name, Address: n.Address, State: st, Since: n.Since,
			Calls: n.Calls, MaxCalls: n.MaxCalls})
	}
	return out
}
