package continuous

import (
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/tools/cache"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
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
	stop     chan struct{}
	refs     int

	mu       sync.Mutex
	onErrors map[*Watcher]func(error)
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
	e := &sharedInformer{stop: make(chan struct{}), refs: 1, onErrors: map[*Watcher]func(error){}}
	e.informer = newMetadataInformer(key.cluster, key.namespace, key.gvr, "")
	_ = e.informer.SetWatchErrorHandler(func(_ *cache.Reflector, err error) { e.watchError(err) })
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

func (e *sharedInformer) subscribe(w *Watcher, f func(error)) {
	e.mu.Lock()
	e.onErrors[w] = f
	e.mu.Unlock()
}

func (e *sharedInformer) unsubscribe(w *Watcher) {
	e.mu.Lock()
	delete(e.onErrors, w)
	e.mu.Unlock()
}

func (e *sharedInformer) watchError(err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, f := range e.onErrors {
		f(err)
	}
}

// newMetadataInformer watches object metadata only, without managedFields and annotations but
// dr-syncer.io/source: the cache holds what change detection and the delete guard's count need,
// and the full object is read when it is synced.
func newMetadataInformer(h *cluster.Handle, namespace string, gvr schema.GroupVersionResource, selector string) cache.SharedIndexInformer {
	inf := metadatainformer.NewFilteredMetadataInformer(h.Metadata, gvr, namespace, 0, cache.Indexers{},
		func(o *metav1.ListOptions) { o.LabelSelector = selector }).Informer()
	_ = inf.SetTransform(func(obj any) (any, error) {
		if m, ok := obj.(*metav1.PartialObjectMetadata); ok {
			m.ManagedFields = nil
			// Only the source annotation is kept: with the label and the ownerReferences it
			// tells the mapping's copies (engine.Owns) from objects that merely carry its label.
			src, ok := m.Annotations[drv1.AnnotationSource]
			m.Annotations = nil
			if ok {
				m.Annotations = map[string]string{drv1.AnnotationSource: src}
			}
		}
		return obj, nil
	})
	return inf
}
