package continuous

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/engine"
	"github.com/dr-syncer/dr-syncer/internal/metrics"
)

const (
	// workers replicate single objects in parallel per mapping.
	workers = 4
	// debounce lets a burst of events on one object collapse into one sync.
	debounce = 10 * time.Millisecond
	// flushEvery bounds how often a mapping's status is refreshed from its watcher.
	flushEvery = 2 * time.Second
	// maxFailures bounds the failures a watcher remembers for status.
	maxFailures = drv1.MaxFailedResources
)

// objKey names one object of one type.
type objKey struct {
	gvr  schema.GroupVersionResource
	name string
}

// Watcher replicates one Continuous mapping object by object.
type Watcher struct {
	key        types.NamespacedName
	uid        types.UID
	generation int64
	req        engine.Request
	types      map[schema.GroupVersionResource]engine.Type
	queue      workqueue.TypedRateLimitingInterface[objKey]
	notify     func(types.NamespacedName) bool
	registry   *registry

	cancel   context.CancelFunc
	wg       sync.WaitGroup
	sources  []sourceHandle
	destStop chan struct{}
	// destHealth says whether the destination informers reach the DR cluster.
	destHealth []*health

	mu           sync.Mutex
	seen         map[objKey]time.Time // when a source change was first seen, for lag
	lastEvent    time.Time
	lastFullSync time.Time
	failures     map[objKey]engine.Action
	// broken holds the informers whose cluster does not answer now, source or destination;
	// watchErr is one of their errors while any is broken.
	broken   map[*health]error
	watchErr error
	// needsResync is set when every broken informer answers again (at recoveredAt): what changed
	// meanwhile is known only to a full resync.
	needsResync bool
	recoveredAt time.Time
	dirty       bool
	// dests are the informers on this mapping's copies in DR, one per type: the delete guard's
	// count of managed objects.
	dests []cache.SharedIndexInformer
	// blocked remembers whether the delete guard held deletions at the last report.
	blocked bool
}

type sourceHandle struct {
	key  informerKey
	inf  *sharedInformer
	regs cache.ResourceEventHandlerRegistration
}

// start registers the event handlers and starts the workers.
func (w *Watcher) start(parent context.Context) {
	ctx, cancel := context.WithCancel(parent)
	w.cancel = cancel
	w.destStop = make(chan struct{})
	w.req.Managed = w.managed
	for gvr := range w.types {
		key := informerKey{cluster: w.req.Source, namespace: w.req.Transform.SourceNamespace, gvr: gvr}
		inf := w.registry.acquire(key)
		inf.health.subscribe(w, w.healthChanged(inf.health, "source", w.req.Source.Name))
		reg, _ := inf.informer.AddEventHandler(cache.ResourceEventHandlerDetailedFuncs{
			AddFunc: func(obj any, initial bool) {
				if !initial {
					w.sourceChanged(gvr, obj)
				}
			},
			UpdateFunc: func(oldObj, newObj any) {
				if rv(oldObj) != rv(newObj) {
					w.sourceChanged(gvr, newObj)
				}
			},
			DeleteFunc: func(obj any) { w.sourceChanged(gvr, obj) },
		})
		w.sources = append(w.sources, sourceHandle{key: key, inf: inf, regs: reg})

		// Hand edits and deletions of this mapping's copies in DR are repaired right away.
		h := newHealth()
		h.subscribe(w, w.healthChanged(h, "destination", w.req.Dest.Name))
		w.destHealth = append(w.destHealth, h)
		dest := newMetadataInformer(w.req.Dest.Metadata, w.req.Transform.DestNamespace, gvr, drv1.LabelMapping+"="+w.req.Transform.MappingID, h)
		_, _ = dest.AddEventHandler(cache.ResourceEventHandlerFuncs{
			UpdateFunc: func(oldObj, newObj any) {
				if rv(oldObj) != rv(newObj) {
					w.queue.AddAfter(objKey{gvr: gvr, name: name(newObj)}, debounce)
				}
			},
			DeleteFunc: func(obj any) { w.queue.AddAfter(objKey{gvr: gvr, name: name(obj)}, debounce) },
		})
		w.dests = append(w.dests, dest)
		go dest.Run(w.destStop)
	}
	for range workers {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			for w.processNext(ctx) {
			}
		}()
	}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		w.flushLoop(ctx)
	}()
}

// stop ends every goroutine of the watcher and releases its informers.
func (w *Watcher) stop() {
	w.cancel()
	w.queue.ShutDown()
	for _, s := range w.sources {
		_ = s.inf.informer.RemoveEventHandler(s.regs)
		s.inf.health.unsubscribe(w)
		w.registry.release(s.key)
	}
	for _, h := range w.destHealth {
		h.unsubscribe(w)
	}
	close(w.destStop)
	w.wg.Wait()
}

func (w *Watcher) sourceChanged(gvr schema.GroupVersionResource, obj any) {
	k := objKey{gvr: gvr, name: name(obj)}
	w.mu.Lock()
	if _, ok := w.seen[k]; !ok {
		w.seen[k] = time.Now()
	}
	w.mu.Unlock()
	w.queue.AddAfter(k, debounce)
}

func (w *Watcher) processNext(ctx context.Context) bool {
	k, shutdown := w.queue.Get()
	if shutdown {
		return false
	}
	defer w.queue.Done(k)
	t, ok := w.types[k.gvr]
	if !ok {
		w.queue.Forget(k)
		return true
	}
	a, err := engine.SyncObject(ctx, w.req, t, k.name)
	now := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	if errors.Is(err, engine.ErrDeleteDeferred) {
		// The delete guard judges this deletion with the others of its burst, shortly.
		w.queue.Forget(k)
		w.queue.AddAfter(k, engine.DeleteSettle)
		return true
	}
	if a.Reason == "PruneBlocked" {
		w.queue.Forget(k)
		if !w.blocked {
			w.blocked, w.dirty = true, true
		}
		return true
	}
	if err != nil {
		if ctx.Err() == nil {
			ctrl.LoggerFrom(ctx).V(1).Info("replicating object failed; will retry", "mapping", w.key, "type", t.String(), "name", k.name, "error", err)
			w.queue.AddRateLimited(k)
		}
		w.recordFailure(k, a)
		return true
	}
	w.queue.Forget(k)
	if a.Type == engine.ActionFailed || a.Type == engine.ActionConflict {
		w.recordFailure(k, a)
	} else {
		delete(w.failures, k)
	}
	if seen, ok := w.seen[k]; ok {
		delete(w.seen, k)
		if a.Type != engine.ActionUnchanged || a.Drift {
			metrics.PropagationLag(w.key.String(), now.Sub(seen))
		}
	}
	if a.Type == engine.ActionCreate || a.Type == engine.ActionUpdate || a.Type == engine.ActionDelete {
		w.lastEvent, w.dirty = now, true
		if a.Drift {
			metrics.DriftCorrected(w.key.String(), 1)
		}
	}
	return true
}

// managed counts the mapping's copies in DR (engine.Owns), as the DR informers see them: not
// objects that merely carry its label, which would make a loss of every copy look small.
func (w *Watcher) managed() int {
	n := 0
	for _, d := range w.dests {
		for _, obj := range d.GetStore().List() {
			if m, ok := obj.(metav1.Object); ok && engine.Owns(m, w.req.Transform.MappingID) {
				n++
			}
		}
	}
	return n
}

func (w *Watcher) recordFailure(k objKey, a engine.Action) {
	if _, ok := w.failures[k]; ok || len(w.failures) < maxFailures {
		w.failures[k] = a
		w.dirty = true
	}
}

// healthChanged returns the callback through which informer h (watching the side cluster
// named cluster) reports that its cluster stopped answering (err) or answers again (nil).
func (w *Watcher) healthChanged(h *health, side, cluster string) func(error) {
	return func(err error) {
		w.mu.Lock()
		defer w.mu.Unlock()
		if err != nil {
			err = fmt.Errorf("watching the %s cluster %s failed: %w", side, cluster, err)
			if w.watchErr == nil {
				w.watchErr, w.dirty = err, true
			}
			w.broken[h] = err
			return
		}
		if _, ok := w.broken[h]; !ok {
			return
		}
		delete(w.broken, h)
		w.watchErr = nil
		for _, e := range w.broken {
			w.watchErr = e
			break
		}
		if w.watchErr == nil {
			// Every informer answers again: a full resync catches up with what was missed.
			w.needsResync, w.recoveredAt, w.dirty = true, time.Now(), true
		}
	}
}

// flushLoop wakes the mapping's reconcile when there is news for its status, at most every
// flushEvery.
func (w *Watcher) flushLoop(ctx context.Context) {
	t := time.NewTicker(flushEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		w.mu.Lock()
		dirty := w.dirty
		w.dirty = false
		w.mu.Unlock()
		if dirty && !w.notify(w.key) {
			w.mu.Lock()
			w.dirty = true
			w.mu.Unlock()
		}
	}
}

// Snapshot is what the reconciler reports in status.
type Snapshot struct {
	LastEvent    time.Time
	LastFullSync time.Time
	// WatchError is set while the source or destination cluster does not answer the watcher.
	WatchError error
	// NeedsResync is set after the watcher's clusters answered again, until a full resync that
	// started after that finished.
	NeedsResync bool
	Failures    []engine.Action
	// PruneBlocked is set while the delete guard holds back deletions.
	PruneBlocked *engine.PruneBlock
}

// Snapshot returns the watcher's current state.
func (w *Watcher) Snapshot() Snapshot {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := Snapshot{LastEvent: w.lastEvent, LastFullSync: w.lastFullSync, WatchError: w.watchErr, NeedsResync: w.needsResync,
		PruneBlocked: w.req.Guard.Blocked()}
	w.blocked = s.PruneBlocked != nil
	for _, a := range w.failures {
		s.Failures = append(s.Failures, a)
	}
	return s
}

// FullSyncDone records a full resync that started at started and finished at finished. A
// recovery after it started still needs another.
func (w *Watcher) FullSyncDone(started, finished time.Time) {
	w.mu.Lock()
	w.lastFullSync = finished
	if w.recoveredAt.Before(started) {
		w.needsResync = false
	}
	w.failures = map[objKey]engine.Action{}
	w.mu.Unlock()
}

func rv(obj any) string {
	if m, ok := obj.(metav1.Object); ok {
		return m.GetResourceVersion()
	}
	return ""
}

func name(obj any) string {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	if m, ok := obj.(metav1.Object); ok {
		return m.GetName()
	}
	return ""
}

// Matches tells whether the watcher runs for this mapping (uid), generation and clusters.
func (w *Watcher) Matches(uid types.UID, generation int64, req engine.Request) bool {
	return w.uid == uid && w.generation == generation && w.req.Source == req.Source && w.req.Dest == req.Dest &&
		reflect.DeepEqual(w.req.Transform.Rules, req.Transform.Rules)
}
