package controller

import (
	"fmt"
	"net/http"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// wedgedAfter is how long one reconcile may run before /healthz calls the process wedged. A
// full sync of a large namespace takes seconds to a few minutes; an hour is a hung call.
const wedgedAfter = time.Hour

// Watchdog tracks reconciles in flight so that /healthz fails when one hangs (a wedged manager
// is restarted by its liveness probe instead of silently syncing nothing).
type Watchdog struct {
	mu       sync.Mutex
	inFlight map[types.NamespacedName]time.Time
	now      func() time.Time
	limit    time.Duration
}

// NewWatchdog returns a watchdog with the default limit.
func NewWatchdog() *Watchdog {
	return &Watchdog{inFlight: map[types.NamespacedName]time.Time{}, now: time.Now, limit: wedgedAfter}
}

// Track marks a reconcile as started; call the returned function when it ends.
func (w *Watchdog) Track(key types.NamespacedName) func() {
	w.mu.Lock()
	w.inFlight[key] = w.now()
	w.mu.Unlock()
	return func() {
		w.mu.Lock()
		delete(w.inFlight, key)
		w.mu.Unlock()
	}
}

// Check is a healthz checker.
func (w *Watchdog) Check(_ *http.Request) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for key, since := range w.inFlight {
		if d := w.now().Sub(since); d > w.limit {
			return fmt.Errorf("reconcile of %s has been running for %s: the controller looks wedged", key, d.Round(time.Second))
		}
	}
	return nil
}
