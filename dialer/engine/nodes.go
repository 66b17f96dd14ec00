package engine

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Several switch nodes: the Switch places each call on a node and routes
// the commands about a channel to its node. A node the dialer loses gets
// no new calls, and its calls are awaited for Config.NodeGrace: their
// channels are unknown (not gone) until the node is back. Past the grace
// they are finalised as lost, and hung up if their node comes back.

// exists asks whether a channel exists. down is set instead when the
// channel's node is disconnected: nobody can tell until it returns.
func (e *Engine) exists(ctx context.Context, uuid string) (ok bool, down *NodeDownError, err error) {
	ok, err = e.sw.Exists(ctx, uuid)
	if errors.As(err, &down) {
		return false, down, nil
	}
	if err != nil {
		return false, nil, fmt.Errorf("uuid_exists %s: %w", uuid, err)
	}
	return ok, nil, nil
}

// awaitNode reports whether a channel on a disconnected node is still
// within the grace, and has it looked at again when the grace ends; past
// the grace the channel is remembered, to be hung up if the node returns.
func (e *Engine) awaitNode(down *NodeDownError, uuid string, now time.Time) bool {
	until := down.Since.Add(e.cfg.NodeGrace)
	if now.Before(until) {
		e.scheduleRecheck(until)
		return true
	}
	e.lostOnNode[down.Node] = append(e.lostOnNode[down.Node], uuid)
	return false
}

// nodeChanged takes a node's connection marker.
func (e *Engine) nodeChanged(u Update) {
	now := e.cfg.Now()
	if u.Kind == Disconnected {
		e.log.Warn("switch node disconnected: no new calls to it; its calls are awaited",
			"node", u.Node, "grace", e.cfg.NodeGrace)
		e.scheduleRecheck(now.Add(e.cfg.NodeGrace))
		return
	}
	e.log.Info("switch node connected: reconciling open attempts", "node", u.Node)
	e.mustReconcile = true
	if lost := e.lostOnNode[u.Node]; len(lost) > 0 {
		e.log.Warn("hanging up the calls finalised as lost while their node was away", "node", u.Node, "calls", len(lost))
		e.killq = append(e.killq, lost...)
		delete(e.lostOnNode, u.Node)
	}
}

// adoptOrphans looks, once a second, for the open attempts of daemons
// sharing the store that died (their lease ran out): adopted, they are
// reconciled with the switch like those of a restart, so that each call
// is followed to its end and no member stays in a call nobody follows.
func (e *Engine) adoptOrphans(ctx context.Context, now time.Time) {
	if now.Sub(e.adopted) < time.Second {
		return
	}
	e.adopted = now
	n, err := e.store.AdoptOrphans(ctx, now)
	if err != nil {
		e.log.Error("adopt the calls of a dead daemon", "err", err)
		return
	}
	if n > 0 {
		e.log.Warn("adopted the open attempts of a daemon whose lease ran out: reconciling", "attempts", n)
		e.mustReconcile = true
	}
}
