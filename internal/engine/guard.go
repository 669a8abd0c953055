package engine

import (
	"sync"
	"time"
)

// pruneGuardMinimum: the delete guard never blocks a loss of this many objects or fewer.
const pruneGuardMinimum = 10

// DeleteGuardWindow is how far back the delete guard remembers what a mapping lost. A slow drip
// of deletions adds up within it: the guard compares the objects the mapping would have left
// with the most it managed in the window, not one run's deletions with one run's count.
const DeleteGuardWindow = 24 * time.Hour

// DeleteSettle is how long Continuous mode holds a deletion before deciding it, so that a burst
// of source deletions (a deleted release, a label migration) is judged as a whole before the
// first copy goes.
const DeleteSettle = 2 * time.Second

// GuardTrips tells whether losing lost of peak managed objects is a mass deletion the delete
// guard holds back: more than pruneGuardMinimum objects and more than maxPercent % of them.
func GuardTrips(lost, peak, maxPercent int) bool {
	return lost > pruneGuardMinimum && lost*100 > maxPercent*peak
}

// DeleteGuard holds back mass deletion in one mapping's DR namespace, for every delete path
// (full-sync prune, Continuous mode, the CLI). It tracks the mapping's managed objects as a
// running level (copies created raise it, copies deleted lower it) and trips when a deletion
// would take the level more than maxDeletePercent below its peak within DeleteGuardWindow. A
// controller keeps one per mapping; a nil guard (CLI, tests) judges each run on its own.
// Once tripped it holds every deletion until released (allow-prune) or until a full sync's
// prune passes it.
type DeleteGuard struct {
	mu sync.Mutex
	// level is the running count of creates minus deletes; samples are (minute, peak level).
	level   int
	samples []guardSample
	// pending are Continuous deletion candidates, by key, with when they were first seen.
	pending map[string]time.Time
	blocked *PruneBlock
	now     func() time.Time
}

type guardSample struct {
	at   time.Time
	peak int
}

// NewDeleteGuard returns a guard with nothing recorded.
func NewDeleteGuard() *DeleteGuard {
	return &DeleteGuard{pending: map[string]time.Time{}, now: time.Now}
}

// lossLocked is how far the level is below its peak in the window.
func (g *DeleteGuard) lossLocked() int {
	cut := g.now().Add(-DeleteGuardWindow)
	i := 0
	for i < len(g.samples) && g.samples[i].at.Before(cut) {
		i++
	}
	g.samples = g.samples[i:]
	peak := g.level
	for _, s := range g.samples {
		peak = max(peak, s.peak)
	}
	return peak - g.level
}

func (g *DeleteGuard) addLocked(delta int) {
	at := g.now().Truncate(time.Minute)
	// The level before the change is a peak too: a guard that starts empty (a controller
	// restart, copies already in DR) must remember its first deletions.
	g.sampleLocked(at)
	g.level += delta
	g.sampleLocked(at)
}

func (g *DeleteGuard) sampleLocked(at time.Time) {
	if n := len(g.samples); n > 0 && g.samples[n-1].at.Equal(at) {
		g.samples[n-1].peak = max(g.samples[n-1].peak, g.level)
		return
	}
	g.samples = append(g.samples, guardSample{at: at, peak: g.level})
}

// Created records copies written into the DR namespace.
func (g *DeleteGuard) Created(n int) {
	if g == nil || n == 0 {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.addLocked(n)
}

// admitBatch decides a prune of n of managed objects (a full sync, the CLI), given the peak the
// DR namespace records for the mapping (0: none). allow releases the guard and restarts the
// window from the objects that remain. On admission the deletions are recorded and a standing
// block is lifted.
func (g *DeleteGuard) admitBatch(n, managed, recordedPeak, maxPercent int, allow bool) *PruneBlock {
	if g == nil {
		g = NewDeleteGuard() // judged on its own and the recorded peak (CLI)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	peak := max(managed+g.lossLocked(), recordedPeak, managed)
	lost := peak - managed
	if !allow && GuardTrips(lost+n, peak, maxPercent) {
		g.blocked = &PruneBlock{WouldDelete: n, Managed: managed, Lost: lost}
		b := *g.blocked
		return &b
	}
	g.blocked = nil
	clear(g.pending)
	if allow {
		g.samples = nil
	}
	g.addLocked(-n)
	return nil
}

// Decision is the delete guard's answer for one Continuous deletion.
type Decision int

const (
	// Delete: go ahead (the deletion is recorded).
	Delete Decision = iota
	// Wait: ask again after DeleteSettle.
	Wait
	// Hold: the guard is tripped; the deletion waits for the next full sync or allow-prune.
	Hold
)

// admitOne decides one Continuous deletion of key, the mapping managing managed objects now.
// The first ask registers it and answers Wait; asked again after DeleteSettle, every candidate
// still pending counts, so a burst trips the guard before its first deletion.
func (g *DeleteGuard) admitOne(key string, managed, maxPercent int) Decision {
	if g == nil {
		return Delete
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.blocked != nil {
		if _, ok := g.pending[key]; !ok {
			g.pending[key] = g.now()
			g.blocked.WouldDelete++
		}
		return Hold
	}
	now := g.now()
	first, ok := g.pending[key]
	if !ok {
		g.pending[key] = now
		return Wait
	}
	if now.Sub(first) < DeleteSettle {
		return Wait
	}
	loss := g.lossLocked()
	if GuardTrips(loss+len(g.pending), managed+loss, maxPercent) {
		g.blocked = &PruneBlock{WouldDelete: len(g.pending), Managed: managed, Lost: loss}
		return Hold
	}
	delete(g.pending, key)
	g.addLocked(-1)
	return Delete
}

// release lifts a standing block when a full sync found nothing to delete: the deletions it held
// were undone in the source. The window keeps what was lost.
func (g *DeleteGuard) release() {
	if g == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.blocked = nil
	clear(g.pending)
}

// cancel drops a Continuous deletion candidate whose source came back or was selected again.
func (g *DeleteGuard) cancel(key string) {
	if g == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.pending, key)
}

// Blocked returns the standing block, or nil.
func (g *DeleteGuard) Blocked() *PruneBlock {
	if g == nil {
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.blocked == nil {
		return nil
	}
	b := *g.blocked
	return &b
}
