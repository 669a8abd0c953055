package namespacemapping

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
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
	key := client.ObjectKeyFromObject(m).String()
	if !controllerutil.ContainsFinalizer(m, drv1.Finalizer) {
		metrics.ForgetMapping(key)
		r.forget(m.UID)
		return ctrl.Result{}, nil
	}
	if m.Spec.DeletionPolicy == drv1.DeletionDelete {
		dst, err := r.Clusters.Get(ctx, m.Spec.DestinationCluster)
		if err != nil {
			if errors.Is(err, clustercache.ErrNotConnected) {
				markNotReady(m, drv1.PhasePending, drv1.ReasonClusterNotReady, "cannot delete the destination copies yet: "+err.Error())
				return ctrl.Result{RequeueAfter: notConnectedRetry}, nil
			}
			return ctrl.Result{}, err
		}
		n, err := engine.DeleteManaged(ctx, dst, m.Spec.DestNamespace(), engine.MappingID(m.Namespace, m.Name))
		if err != nil {
			r.Recorder.Eventf(m, nil, corev1.EventTypeWarning, "CleanupFailed", "Delete", "deleting destination copies: %v", err)
			return ctrl.Result{}, fmt.Errorf("deleting destination copies: %w", err)
		}
		r.Recorder.Eventf(m, nil, corev1.EventTypeNormal, "CleanedUp", "Delete", "deleted %d destination copies (deletionPolicy: Delete)", n)
	}
	patch := client.MergeFrom(m.DeepCopy())
	controllerutil.RemoveFinalizer(m, drv1.Finalizer)
	if err := r.Patch(ctx, m, patch); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	metrics.ForgetMapping(key)
	r.forget(m.UID)
	return ctrl.Result{}, nil
}

func equalStatus(a, b *drv1.NamespaceMapping) bool {
	return equality.Semantic.DeepEqual(a.Status, b.Status)
}
