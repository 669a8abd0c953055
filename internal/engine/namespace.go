package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// ErrSourceNamespaceNotFound: the namespace to replicate does not exist in the source cluster.
var ErrSourceNamespaceNotFound = errors.New("source namespace not found")

// ErrDestNamespaceNotFound: the destination namespace is missing and may not be created.
var ErrDestNamespaceNotFound = errors.New("destination namespace not found")

// ErrDestinationLive: cutover brought the destination namespace live; syncing into it would park
// the workloads that now serve production.
var ErrDestinationLive = errors.New("destination namespace is live")

var namespaceGVR = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}

// Namespace metadata that belongs to the cluster it is in, never copied.
var namespaceLocalKeys = map[string]bool{
	corev1.LabelMetadataName:                           true,
	"kubectl.kubernetes.io/last-applied-configuration": true,
}

// ensureNamespaces checks the source namespace (never creating anything in the source) and
// creates or labels the destination namespace. It reports whether the destination exists.
func (r *run) ensureNamespaces(ctx context.Context) (destExists bool, err error) {
	src := &corev1.Namespace{}
	if err := r.req.Source.Client.Get(ctx, client.ObjectKey{Name: r.req.Transform.SourceNamespace}, src); err != nil {
		if apierrors.IsNotFound(err) {
			return false, fmt.Errorf("%w: namespace %q does not exist in cluster %s", ErrSourceNamespaceNotFound, r.req.Transform.SourceNamespace, r.req.Source.Name)
		}
		return false, fmt.Errorf("reading source namespace %q: %w", r.req.Transform.SourceNamespace, err)
	}
	destName := r.req.Transform.DestNamespace
	live, err := r.req.Dest.Dynamic.Resource(namespaceGVR).Get(ctx, destName, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		live = nil
		if !r.req.CreateNamespace {
			return false, fmt.Errorf("%w: namespace %q does not exist in cluster %s and namespaceConfig.createNamespace is false", ErrDestNamespaceNotFound, destName, r.req.Dest.Name)
		}
	case err != nil:
		return false, fmt.Errorf("reading destination namespace %q: %w", destName, err)
	}

	if err := r.checkNotLive(live); err != nil {
		return true, err
	}
	r.fence(ctx, live)
	r.destNS = live
	desired := &unstructured.Unstructured{}
	desired.SetAPIVersion("v1")
	desired.SetKind("Namespace")
	desired.SetName(destName)
	lbls, anns := map[string]string{}, map[string]string{}
	if r.req.CopyNamespaceLabels {
		copyExcept(lbls, src.Labels)
	}
	if r.req.CopyNamespaceAnnotations {
		copyExcept(anns, src.Annotations)
	}
	ours := live == nil || live.GetLabels()[drv1.LabelMapping] == r.req.Transform.MappingID
	if ours {
		lbls[drv1.LabelMapping] = r.req.Transform.MappingID
	}
	if live != nil && containsAll(live.GetLabels(), lbls) && containsAll(live.GetAnnotations(), anns) {
		return true, nil
	}
	if live == nil && r.req.DryRun {
		// Listed among the actions, so plan shows it, but not counted with the namespace's objects.
		r.note(Action{GVK: desired.GroupVersionKind(), Name: destName, Type: ActionCreate})
		return false, nil
	}
	desired.SetLabels(lbls)
	desired.SetAnnotations(anns)
	out, err := r.applyNamespace(ctx, desired, ours)
	if err != nil {
		return live != nil, fmt.Errorf("writing destination namespace %q: %w", destName, err)
	}
	if !r.req.DryRun {
		r.destNS = out
	}
	return true, nil
}

// copyExcept copies namespace metadata except keys local to a cluster and every key of
// dr-syncer's (dr-syncer.io/ and *.dr-syncer.io/): those describe the source namespace's own
// role (a former DR namespace that is live now carries live-since), never the DR namespace's.
func copyExcept(dst, src map[string]string) {
	for k, v := range src {
		if !namespaceLocalKeys[k] && !isDrSyncerKey(k) {
			dst[k] = v
		}
	}
}

func isDrSyncerKey(k string) bool {
	prefix, _, ok := strings.Cut(k, "/")
	return ok && (prefix+"/" == drv1.GroupPrefix || strings.HasSuffix(prefix, "."+strings.TrimSuffix(drv1.GroupPrefix, "/")))
}

func containsAll(have, want map[string]string) bool {
	return maps.EqualFunc(want, filter(have, want), func(a, b string) bool { return a == b })
}

func filter(have, keys map[string]string) map[string]string {
	out := make(map[string]string, len(keys))
	for k := range keys {
		if v, ok := have[k]; ok {
			out[k] = v
		}
	}
	return out
}

// checkNotLive refuses a destination namespace that cutover brought live.
func (r *run) checkNotLive(ns *unstructured.Unstructured) error {
	if ns == nil {
		return nil
	}
	if since := ns.GetAnnotations()[drv1.AnnotationLiveSince]; since != "" {
		return fmt.Errorf("%w: namespace %q in cluster %s was brought live by cutover at %s; nothing is synced into it until `dr-syncer failback` (or until annotation %s is removed)",
			ErrDestinationLive, ns.GetName(), r.req.Dest.Name, since, drv1.AnnotationLiveSince)
	}
	return nil
}

// recheckFence reads the DR namespace again before deletions: a cutover may have marked it
// live since the run began, and the fence's watch may lag.
func (r *run) recheckFence(ctx context.Context) error {
	if r.live.Load() {
		return r.liveError()
	}
	if r.req.DryRun || !r.destExists {
		return nil
	}
	ns, err := r.req.Dest.Dynamic.Resource(namespaceGVR).Get(ctx, r.req.Transform.DestNamespace, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("reading destination namespace %q before pruning: %w", r.req.Transform.DestNamespace, err)
	}
	if err := r.checkNotLive(ns); err != nil {
		r.live.Store(true)
		return err
	}
	return nil
}

// IsDestinationLive reports a sync refused because the destination namespace is live.
func IsDestinationLive(err error) bool { return errors.Is(err, ErrDestinationLive) }
