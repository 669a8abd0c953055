package namespacemapping

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/dr-syncer/dr-syncer/internal/engine"
)

// mappingState is what this process keeps about one mapping between reconciles. It belongs to
// one incarnation of the mapping (its UID): a mapping deleted and created again under the same
// name starts afresh.
type mappingState struct {
	uid     types.UID
	applied *engine.AppliedCache
	guard   *engine.DeleteGuard

	mu sync.Mutex
	// resyncFailed is, for a Continuous mapping, the last full resync if it had failures: the
	// watcher's reports show them until a full resync succeeds.
	resyncFailed *failedResync
	// retryAt is when a Continuous mapping's full resync that had failures runs again; retryDelay
	// doubles from firstResyncRetry with each failed one, up to the resync interval.
	retryAt    time.Time
	retryDelay time.Duration
	// probeWait is how long the mapping last waited for the first probe of a RemoteCluster; it
	// doubles from firstProbeRetry up to notConnectedRetry, so a probe that never comes (a
	// RemoteCluster controller that is stuck) costs a reconcile every 30 s, not every second.
	probeWait time.Duration
}

// firstResyncRetry is how soon a Continuous full resync with failures first runs again: a
// failure that was a passing race (an object the watcher wrote at the same moment, a cluster
// still starting) clears within seconds instead of a resync interval.
const firstResyncRetry = 2 * time.Second

// states holds the mappingState of every mapping this process has reconciled, by name, so a
// mapping that is gone (deleted without a finalizer, or already removed when its reconcile ran)
// is forgotten by name.
type states struct {
	mu sync.Mutex
	m  map[types.NamespacedName]*mappingState
}

// get returns the state of key's incarnation uid, replacing the state of an earlier one.
func (s *states) get(key types.NamespacedName, uid types.UID) *mappingState {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.m[key]; ok && st.uid == uid {
		return st
	}
	if s.m == nil {
		s.m = map[types.NamespacedName]*mappingState{}
	}
	st := &mappingState{uid: uid, applied: engine.NewAppliedCache(), guard: engine.NewDeleteGuard()}
	s.m[key] = st
	return st
}

func (s *states) forget(key types.NamespacedName) {
	s.mu.Lock()
	delete(s.m, key)
	s.mu.Unlock()
}

func (s *states) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

func (st *mappingState) failedResync() *failedResync {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.resyncFailed
}

// resyncDone records the outcome of a Continuous full resync that ended at now.
func (st *mappingState) resyncDone(ok bool, now time.Time, interval time.Duration) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if ok {
		st.retryAt, st.retryDelay = time.Time{}, 0
		return
	}
	st.retryDelay = max(firstResyncRetry, 2*st.retryDelay)
	if interval > 0 && st.retryDelay > interval {
		st.retryDelay = interval
	}
	st.retryAt = now.Add(st.retryDelay)
}

// resyncRetryAt is when a full resync with failures runs again (zero: none pending).
func (st *mappingState) resyncRetryAt() time.Time {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.retryAt
}

func (st *mappingState) setFailedResync(f *failedResync) {
	st.mu.Lock()
	st.resyncFailed = f
	st.mu.Unlock()
}

// nextProbeWait returns how long to wait for the first probe this time: firstProbeRetry, then
// twice the last wait, at most notConnectedRetry.
func (st *mappingState) nextProbeWait() time.Duration {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.probeWait = min(max(firstProbeRetry, 2*st.probeWait), notConnectedRetry)
	return st.probeWait
}

// probed forgets the first-probe wait: the mapping's clusters resolved.
func (st *mappingState) probed() {
	st.mu.Lock()
	st.probeWait = 0
	st.mu.Unlock()
}
