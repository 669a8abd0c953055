package continuous

import (
	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"

	"context"
	"errors"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/tools/cache"
)

// reconnectEvery is how often an informer whose cluster does not answer tries again. client-go's
// reflector backs off up to 30 s between attempts, so a watch could come back half a minute after
// its cluster did; the informers here retry at this fixed pace instead, and the first answer
// reports the recovery (which runs a full resync).
const reconnectEvery = time.Second

// health tracks whether an informer's list and watch calls reach its cluster, and reports each
// change: an error when they start failing (or fail differently), nil when they answer again.
type health struct {
	mu      sync.Mutex
	err     error
	subs    map[any]func(error)
	failing bool
}

func newHealth() *health { return &health{subs: map[any]func(error){}} }

// subscribe registers f under key; f is told at once if the informer is failing now.
func (h *health) subscribe(key any, f func(error)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.subs[key] = f
	if h.failing {
		f(h.err)
	}
}

func (h *health) unsubscribe(key any) {
	h.mu.Lock()
	delete(h.subs, key)
	h.mu.Unlock()
}

// observe records the outcome of one list or watch call.
func (h *health) observe(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err == nil {
		if !h.failing {
			return
		}
		h.failing, h.err = false, nil
	} else {
		if h.failing && h.err.Error() == err.Error() {
			return
		}
		h.failing, h.err = true, err
	}
	for _, f := range h.subs {
		f(h.err)
	}
}

// unreachable tells whether err means the server did not answer (as opposed to answering with
// an error status): such calls are retried here at a fixed pace.
func unreachable(err error) bool {
	var status apierrors.APIStatus
	return !errors.As(err, &status) && !errors.Is(err, context.Canceled)
}

// benign tells whether err is part of normal watching (an expired resource version makes the
// reflector list again) rather than a sign that the cluster is unhealthy.
func benign(err error) bool {
	return apierrors.IsResourceExpired(err) || apierrors.IsGone(err)
}

// call runs one list or watch call, reporting its outcome; while the server does not answer it
// tries again every reconnectEvery until it answers or ctx ends.
func call[T any](ctx context.Context, h *health, f func(context.Context) (T, error)) (T, error) {
	for {
		v, err := f(ctx)
		switch {
		case err == nil:
			h.observe(nil)
			return v, nil
		case ctx.Err() != nil:
			return v, err
		case benign(err):
			return v, err
		}
		h.observe(err)
		if !unreachable(err) {
			return v, err
		}
		select {
		case <-ctx.Done():
			return v, err
		case <-time.After(reconnectEvery):
		}
	}
}

// newMetadataInformer watches object metadata only, without managedFields and annotations but
// dr-syncer.io/source: the cache holds what change detection and the delete guard's count need,
// and the full object is read when it is synced. h learns whether the cluster answers.
func newMetadataInformer(c metadata.Interface, namespace string, gvr schema.GroupVersionResource, selector string, h *health) cache.SharedIndexInformer {
	res := c.Resource(gvr).Namespace(namespace)
	tweak := func(o metav1.ListOptions) metav1.ListOptions {
		o.LabelSelector = selector
		return o
	}
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			return call(ctx, h, func(ctx context.Context) (*metav1.PartialObjectMetadataList, error) {
				return res.List(ctx, tweak(o))
			})
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			return call(ctx, h, func(ctx context.Context) (watch.Interface, error) {
				return res.Watch(ctx, tweak(o))
			})
		},
	}
	inf := cache.NewSharedIndexInformer(lw, &metav1.PartialObjectMetadata{}, 0, cache.Indexers{})
	_ = inf.SetTransform(func(obj any) (any, error) {
		if m, ok := obj.(*metav1.PartialObjectMetadata); ok {
			m.ManagedFields = nil
			// Only the source annotation is kept: with the label and the ownerReferences it
			// tells the mapping's copies (engine.Owns) from objects that merely carry its label.
			src, keep := m.Annotations[drv1.AnnotationSource]
			m.Annotations = nil
			if keep {
				m.Annotations = map[string]string{drv1.AnnotationSource: src}
			}
		}
		return obj, nil
	})
	return inf
}
