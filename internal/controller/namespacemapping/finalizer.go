package namespacemapping

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/clustercache"
	"github.com/dr-syncer/dr-syncer/internal/engine"
	"github.com/dr-syncer/dr-syncer/internal/metrics"
)

// ensureFinalizer keeps the cleanup finalizer exactly on mappings whose deletionPolicy is Delete.
func (r *Reconciler) ensureFinalizer(ctx context.Context, m *drv1.NamespaceMapping) error {
	want := m.Spec.DeletionPolicy == drv1.DeletionDelete
	if want == controllerutil.ContainsFinalizer(m, drv1.Finalizer) {
		return nil
	}
	patch := client.MergeFrom(m.DeepCopy())
	if want {
		controllerutil.AddFinalizer(m, drv1.Finalizer)
	} else {
		controllerutil.RemoveFinalizer(m, drv1.Finalizer)
	}
	return r.Patch(ctx, m, patch)
}

// finalize removes the destination copies of a mapping with deletionPolicy Delete, then lets
// the mapping go. Retain (or no finalizer) leaves them.
func (r *Reconciler) finalize(ctx context.Context, m *drv1.NamespaceMapping) (ctrl.Result, error) {
	key := client.ObjectKeyFromObject(m)
	if !controllerutil.ContainsFinalizer(m, drv1.Finalizer) {
		r.forget(key)
		return ctrl.Result{}, nil
	}
	if m.Spec.DeletionPolicy == drv1.DeletionDelete {
		if res, done, err := r.cleanup(ctx, m); !done {
			return res, err
		}
	}
	patch := client.MergeFrom(m.DeepCopy())
	controllerutil.RemoveFinalizer(m, drv1.Finalizer)
	if err := r.Patch(ctx, m, patch); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	r.forget(key)
	return ctrl.Result{}, nil
}

// cleanup deletes the mapping's copies through the engine's gate. done=false means the mapping
// must wait (the result says when). Copies are left, with a CleanupSkipped Warning, when the DR
// namespace is live (they serve production now) or when the destination RemoteCluster no longer
// exists (they cannot be reached).
func (r *Reconciler) cleanup(ctx context.Context, m *drv1.NamespaceMapping) (ctrl.Result, bool, error) {
	dst, err := r.Clusters.Get(ctx, m.Spec.DestinationCluster)
	if err != nil {
		if !errors.Is(err, clustercache.ErrNotConnected) {
			return ctrl.Result{}, false, err
		}
		rc := &drv1.RemoteCluster{}
		if gerr := r.Get(ctx, client.ObjectKey{Namespace: m.Namespace, Name: m.Spec.DestinationCluster}, rc); apierrors.IsNotFound(gerr) {
			r.Recorder.Eventf(m, nil, corev1.EventTypeWarning, "CleanupSkipped", "Delete",
				"destination copies left in place: RemoteCluster %s/%s no longer exists, so the DR cluster cannot be reached", m.Namespace, m.Spec.DestinationCluster)
			return ctrl.Result{}, true, nil
		}
		markNotReady(m, drv1.PhasePending, drv1.ReasonClusterNotReady, fmt.Sprintf(
			"cannot delete the destination copies yet: %v; to delete the mapping and leave its copies, set spec.deletionPolicy: Retain", err))
		return ctrl.Result{RequeueAfter: notConnectedRetry}, false, nil
	}
	n, err := engine.DeleteManaged(ctx, dst, m.Spec.DestNamespace(), engine.MappingID(m.Namespace, m.Name))
	switch {
	case engine.IsDestinationLiveCleanup(err):
		r.Recorder.Eventf(m, nil, corev1.EventTypeWarning, "CleanupSkipped", "Delete",
			"destination copies left in place: %v; they serve production since the cutover", err)
		return ctrl.Result{}, true, nil
	case err != nil:
		r.Recorder.Eventf(m, nil, corev1.EventTypeWarning, "CleanupFailed", "Delete", "deleting destination copies: %v", err)
		return ctrl.Result{}, false, fmt.Errorf("deleting destination copies: %w", err)
	}
	r.Recorder.Eventf(m, nil, corev1.EventTypeNormal, "CleanedUp", "Delete", "deleted %d destination copies (deletionPolicy: Delete)", n)
	return ctrl.Result{}, true, nil
}

// forget drops what this process keeps about a deleted mapping: its watcher (first, so nothing
// records a metric after), its metric series and its state.
func (r *Reconciler) forget(key types.NamespacedName) {
	r.Continuous.Stop(key)
	metrics.ForgetMapping(key.String())
	r.states.forget(key)
}

func equalStatus(a, b *drv1.NamespaceMapping) bool {
	return equality.Semantic.DeepEqual(a.Status, b.Status)
}
