package engine

import (
	"math"
	"time"
)

// burstWindow is how much rate a bucket may bank: enough for the
// dispatcher's tick, never a visible burst.
const burstWindow = 100 * time.Millisecond

// bucket paces originates: tokens accrue continuously at rate per second
// (fractions carry over, so 2.5 calls a second really is 2.5), and the bank
// is capped so calls stay evenly spread: at most max(1, rate x 100 ms)
// tokens, and never more than the campaign's N calls per interval.
type bucket struct {
	rate   float64 // tokens per second; 0 = unlimited
	cap    float64
	tokens float64
	last   time.Time
}

// newBucket returns a bucket for rate per second; limit (when > 0) bounds
// the bank further.
func newBucket(rate float64, limit int) bucket {
	var b bucket
	b.configure(rate, limit)
	b.tokens = 1
	return b
}

func (b *bucket) configure(rate float64, limit int) {
	if b.rate == 0 && b.last.IsZero() {
		b.tokens = 1
	}
	b.rate = rate
	b.cap = math.Max(1, rate*burstWindow.Seconds())
	if limit > 0 {
		b.cap = math.Min(b.cap, float64(limit))
	}
	b.tokens = math.Min(b.tokens, b.cap)
}

func (b *bucket) fill(now time.Time) {
	if b.rate == 0 {
		return
	}
	if !b.last.IsZero() && now.After(b.last) {
		b.tokens = math.Min(b.cap, b.tokens+b.rate*now.Sub(b.last).Seconds())
	}
	if b.last.IsZero() || now.After(b.last) {
		b.last = now
	}
}

// available is how many whole calls may start now.
func (b *bucket) available() int {
	if b.rate == 0 {
		return math.MaxInt32
	}
	return int(b.tokens)
}

func (b *bucket) take(n int) {
	if b.rate == 0 {
		return
	}
	b.tokens -= float64(n)
}
