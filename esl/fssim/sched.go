package fssim

import (
	"container/heap"
	"context"
	"sync"
	"time"
)

// clock maps wall time to scenario time: scenario time runs speed times
// faster than the wall clock from the moment the server was created.
type clock struct {
	wallStart time.Time
	simStart  time.Time
	speed     float64
}

func (c *clock) now() time.Time {
	return c.simStart.Add(time.Duration(float64(time.Since(c.wallStart)) * c.speed))
}

// wallAt is the wall-clock instant at which scenario time t is reached.
func (c *clock) wallAt(t time.Time) time.Time {
	return c.wallStart.Add(time.Duration(float64(t.Sub(c.simStart)) / c.speed))
}

// wall converts a scenario duration into wall time.
func (c *clock) wall(d time.Duration) time.Duration {
	return time.Duration(float64(d) / c.speed)
}

// timer is one scheduled action. at is its scenario due time, which the
// action receives so that event timestamps and billing use the logical
// instant even when the scheduler runs a little late.
type timer struct {
	at    time.Time
	wall  time.Time
	seq   uint64
	fn    func(at time.Time)
	index int
}

type timerHeap []*timer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if !h[i].wall.Equal(h[j].wall) {
		return h[i].wall.Before(h[j].wall)
	}
	return h[i].seq < h[j].seq
}
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *timerHeap) Push(x any) {
	t := x.(*timer)
	t.index = len(*h)
	*h = append(*h, t)
}
func (h *timerHeap) Pop() any {
	old := *h
	n := len(old)
	t := old[n-1]
	old[n-1] = nil
	t.index = -1
	*h = old[:n-1]
	return t
}

// scheduler runs every timed action of the simulator from one goroutine
// with one heap, so neither calls nor timers cost a goroutine. All methods
// except run must be called with mu held; actions run with mu held.
type scheduler struct {
	mu   *sync.Mutex
	clk  *clock
	h    timerHeap
	seq  uint64
	wake chan struct{}
}

func newScheduler(mu *sync.Mutex, clk *clock) *scheduler {
	return &scheduler{mu: mu, clk: clk, wake: make(chan struct{}, 1)}
}

// at schedules fn at scenario time t.
func (s *scheduler) at(t time.Time, fn func(at time.Time)) *timer {
	s.seq++
	tm := &timer{at: t, wall: s.clk.wallAt(t), seq: s.seq, fn: fn}
	heap.Push(&s.h, tm)
	if tm.index == 0 {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
	return tm
}

// cancel removes t if it has not run yet; a nil or spent timer is ignored.
func (s *scheduler) cancel(t *timer) {
	if t == nil || t.index < 0 || t.index >= len(s.h) || s.h[t.index] != t {
		return
	}
	heap.Remove(&s.h, t.index)
}

// clear drops every pending timer.
func (s *scheduler) clear() {
	for _, t := range s.h {
		t.index = -1
	}
	s.h = nil
}

func (s *scheduler) pending() int { return len(s.h) }

// run executes due actions until ctx is done. Due actions are run in
// batches under one lock acquisition.
func (s *scheduler) run(ctx context.Context) {
	const batch = 512
	tm := time.NewTimer(time.Hour)
	defer tm.Stop()
	for {
		s.mu.Lock()
		now := time.Now()
		for n := 0; n < batch && len(s.h) > 0 && !s.h[0].wall.After(now); n++ {
			t := heap.Pop(&s.h).(*timer)
			t.fn(t.at)
		}
		wait := time.Hour
		if len(s.h) > 0 {
			wait = time.Until(s.h[0].wall)
		}
		s.mu.Unlock()
		if wait <= 0 {
			select {
			case <-ctx.Done():
				return
			default:
			}
			continue
		}
		tm.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
			if !tm.Stop() {
				select {
				case <-tm.C:
				default:
				}
			}
		case <-tm.C:
		}
	}
}
