package namespacemapping

import (
	"context"
	"maps"
	"time"

	"golang.org/x/time/rate"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// Retries of a failed reconcile (a sync that could not run as a whole, or any other error)
// back off per mapping from retryBase, doubling up to retryMax: 7 attempts in the first minute.
// controller-runtime's default starts at 5ms, which retries a missing namespace 14 times a minute.
const (
	retryBase = 500 * time.Millisecond
	retryMax  = 5 * time.Minute
)

// retryLimiter is the backoff above, and an overall 10 retries per second (burst 100) as in
// controller-runtime's default.
func retryLimiter() workqueue.TypedRateLimiter[reconcile.Request] {
	return workqueue.NewTypedMaxOfRateLimiter(
		workqueue.NewTypedItemExponentialFailureRateLimiter[reconcile.Request](retryBase, retryMax),
		&workqueue.TypedBucketRateLimiter[reconcile.Request]{Limiter: rate.NewLimiter(rate.Limit(10), 100)},
	)
}

// indexClusters indexes mappings by every RemoteCluster they name.
const indexClusters = "spec.clusters"

// SetupWithManager registers the controller. Status writes do not retrigger it: only a new
// generation, a changed annotation or deletion does; RemoteCluster changes wake the mappings
// that use the cluster.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	err := mgr.GetFieldIndexer().IndexField(context.Background(), &drv1.NamespaceMapping{}, indexClusters, func(o client.Object) []string {
		m := o.(*drv1.NamespaceMapping)
		out := []string{m.Spec.DestinationCluster}
		if m.Spec.SourceCluster != "" {
			out = append(out, m.Spec.SourceCluster)
		}
		return out
	})
	if err != nil {
		return err
	}
	if err := mgr.Add(r.Continuous); err != nil {
		return err
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&drv1.NamespaceMapping{}, builder.WithPredicates(predicate.Or(
			predicate.GenerationChangedPredicate{}, triggerAnnotationsChanged{}, lastDrillChanged{}))).
		Watches(&drv1.RemoteCluster{}, handler.EnqueueRequestsFromMapFunc(r.mappingsForCluster),
			builder.WithPredicates(readyChanged{})).
		Watches(&drv1.ParkingRule{}, handler.EnqueueRequestsFromMapFunc(r.mappingsOfNamespace),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		WatchesRawSource(source.Channel(r.Continuous.Events(), &handler.EnqueueRequestForObject{})).
		WithOptions(controller.Options{RateLimiter: retryLimiter()}).
		Complete(r)
}

func (r *Reconciler) mappingsForCluster(ctx context.Context, o client.Object) []reconcile.Request {
	list := &drv1.NamespaceMappingList{}
	if err := r.List(ctx, list, client.InNamespace(o.GetNamespace()), client.MatchingFields{indexClusters: o.GetName()}); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "listing NamespaceMappings for a RemoteCluster")
		return nil
	}
	out := make([]reconcile.Request, 0, len(list.Items))
	for _, m := range list.Items {
		out = append(out, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: m.Namespace, Name: m.Name}})
	}
	return out
}

// mappingsOfNamespace wakes every mapping of a ParkingRule's namespace: the rules in force
// changed, and a Continuous watcher must take them up.
func (r *Reconciler) mappingsOfNamespace(ctx context.Context, o client.Object) []reconcile.Request {
	list := &drv1.NamespaceMappingList{}
	if err := r.List(ctx, list, client.InNamespace(o.GetNamespace())); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "listing NamespaceMappings for a ParkingRule")
		return nil
	}
	out := make([]reconcile.Request, 0, len(list.Items))
	for _, m := range list.Items {
		out = append(out, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: m.Namespace, Name: m.Name}})
	}
	return out
}

// triggerAnnotationsChanged passes updates that change dr-syncer's request annotations.
type triggerAnnotationsChanged struct{ predicate.Funcs }

func (triggerAnnotationsChanged) Update(e event.UpdateEvent) bool {
	if e.ObjectOld == nil || e.ObjectNew == nil {
		return false
	}
	pick := func(o client.Object) map[string]string {
		a := o.GetAnnotations()
		return map[string]string{drv1.AnnotationSyncNow: a[drv1.AnnotationSyncNow], drv1.AnnotationAllowPrune: a[drv1.AnnotationAllowPrune]}
	}
	return !maps.Equal(pick(e.ObjectOld), pick(e.ObjectNew))
}

// lastDrillChanged passes updates that record a new drill (status.lastDrill, written by
// dr-syncer drill), so its metrics are exported at once.
type lastDrillChanged struct{ predicate.Funcs }

func (lastDrillChanged) Update(e event.UpdateEvent) bool {
	last := func(o client.Object) *drv1.DrillResult {
		if m, ok := o.(*drv1.NamespaceMapping); ok {
			return m.Status.LastDrill
		}
		return nil
	}
	a, b := last(e.ObjectOld), last(e.ObjectNew)
	return b != nil && (a == nil || *a != *b)
}

// readyChanged passes RemoteCluster updates that flip its Ready condition or change the
// cluster's identity (a kubeconfig now pointing elsewhere).
type readyChanged struct{ predicate.Funcs }

func (readyChanged) Update(e event.UpdateEvent) bool {
	id := func(o client.Object) string {
		if rc, ok := o.(*drv1.RemoteCluster); ok {
			return rc.Status.ClusterID
		}
		return ""
	}
	if id(e.ObjectOld) != id(e.ObjectNew) {
		return true
	}
	ready := func(o client.Object) string {
		rc, ok := o.(*drv1.RemoteCluster)
		if !ok {
			return ""
		}
		for _, c := range rc.Status.Conditions {
			if c.Type == drv1.ConditionReady {
				return string(c.Status)
			}
		}
		return ""
	}
	return ready(e.ObjectOld) != ready(e.ObjectNew)
}
