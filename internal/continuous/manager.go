// Package continuous replicates Continuous NamespaceMappings object by object: metadata-only
// informers on the source namespace (shared across mappings) feed a queue per mapping, whose
// workers run the engine's single-object path.
package continuous

import (
	"context"
	"fmt"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/event"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/engine"
)

// Manager runs one Watcher per Continuous mapping. It is a manager Runnable that needs leader
// election, so a replica that is not the leader watches nothing.
type Manager struct {
	registry *registry
	events   chan event.GenericEvent
	started  chan struct{}

	mu       sync.Mutex
	ctx      context.Context
	watchers map[types.NamespacedName]*Watcher
}

// NewManager returns a manager; add it to the controller-runtime manager with mgr.Add.
func NewManager() *Manager {
	return &Manager{
		registry: newRegistry(),
		events:   make(chan event.GenericEvent, 64),
		started:  make(chan struct{}),
		watchers: map[types.NamespacedName]*Watcher{},
	}
}

// Start holds the leader's context; every watcher ends with it.
func (m *Manager) Start(ctx context.Context) error {
	m.mu.Lock()
	m.ctx = ctx
	m.mu.Unlock()
	close(m.started)
	<-ctx.Done()
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, w := range m.watchers {
		w.stop()
		delete(m.watchers, k)
	}
	return nil
}

// NeedLeaderElection ties watching to leadership.
func (m *Manager) NeedLeaderElection() bool { return true }

// Events wakes mappings whose watcher has news for their status.
func (m *Manager) Events() <-chan event.GenericEvent { return m.events }

// Spec is what a watcher is built from; a change of any part restarts it.
type Spec struct {
	// UID is the mapping's: a mapping created again under the same name gets a new watcher.
	UID        types.UID
	Generation int64
	Request    engine.Request
	Types      []engine.Type
}

// Ensure returns the running watcher of a mapping, starting or restarting it when its spec
// (generation or clusters) changed.
func (m *Manager) Ensure(ctx context.Context, key types.NamespacedName, spec Spec) (*Watcher, error) {
	select {
	case <-m.started:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ctx.Err() != nil {
		return nil, fmt.Errorf("continuous replication is shutting down")
	}
	if w, ok := m.watchers[key]; ok {
		if w.Matches(spec.UID, spec.Generation, spec.Request) {
			return w, nil
		}
		w.stop()
		delete(m.watchers, key)
	}
	w := &Watcher{
		key:        key,
		uid:        spec.UID,
		generation: spec.Generation,
		req:        spec.Request,
		types:      map[schema.GroupVersionResource]engine.Type{},
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[objKey](),
			workqueue.TypedRateLimitingQueueConfig[objKey]{Name: ""}),
		notify:   m.notify,
		registry: m.registry,
		seen:     map[objKey]time.Time{},
		failures: map[objKey]engine.Action{},
		broken:   map[*health]error{},
	}
	for _, t := range spec.Types {
		w.types[t.GVR] = t
	}
	w.start(m.ctx)
	m.watchers[key] = w
	return w, nil
}

// Get returns the watcher of a mapping, or nil.
func (m *Manager) Get(key types.NamespacedName) *Watcher {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.watchers[key]
}

// Stop stops the watcher of a mapping, if any.
func (m *Manager) Stop(key types.NamespacedName) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if w, ok := m.watchers[key]; ok {
		w.stop()
		delete(m.watchers, key)
	}
}

// Informers is the number of shared source informers running.
func (m *Manager) Informers() int { return m.registry.size() }

// Watchers is the number of running watchers (each with its destination informers).
func (m *Manager) Watchers() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.watchers)
}

// notify wakes a mapping's reconcile; false when the channel is full (the caller retries).
func (m *Manager) notify(key types.NamespacedName) bool {
	obj := &drv1.NamespaceMapping{}
	obj.Namespace, obj.Name = key.Namespace, key.Name
	select {
	case m.events <- event.GenericEvent{Object: obj}:
		return true
	default:
		return false
	}
}
