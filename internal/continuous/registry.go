package continuous

import (
	"sync"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/cache"

	"github.com/dr-syncer/dr-syncer/internal/cluster"
)

// informerKey identifies a shared source informer: one per cluster handle, namespace and type.
type informerKey struct {
	cluster   *cluster.Handle
	namespace string
	gvr       schema.GroupVersionResource
}

// sharedInformer is a metadata-only informer shared by every mapping that watches the same
// source namespace and type; it stops when the last mapping lets go of it.
type sharedInformer struct {
	informer cache.SharedIndexInformer
	health   *health
	stop     chan struct{}
	refs     int
}

// registry owns the shared source informers.
type registry struct {
	mu      sync.Mutex
	entries map[informerKey]*sharedInformer
}

func newRegistry() *registry { return &registry{entries: map[informerKey]*sharedInformer{}} }

// acquire returns the informer for key, starting it on first use.
func (r *registry) acquire(key informerKey) *sharedInformer {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.entries[key]; ok {
		e.refs++
		return e
	}
	e := &sharedInformer{stop: make(chan struct{}), refs: 1, health: newHealth()}
	e.informer = newMetadataInformer(key.cluster.Metadata, key.namespace, key.gvr, "", e.health)
	go e.informer.Run(e.stop)
	r.entries[key] = e
	return e
}

// release drops one reference and stops the informer after the last one.
func (r *registry) release(key informerKey) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.entries[key]
	if !ok {
		return
	}
	if e.refs--; e.refs == 0 {
		close(e.stop)
		delete(r.entries, key)
	}
}

// size is the number of running shared informers (for tests).
func (r *registry) size() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.entries)
}
