package ops

import (
	"context"
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// ErrMappingNotFound matches the error of a NamespaceMapping that does not exist.
var ErrMappingNotFound = errors.New("NamespaceMapping not found")

// GetMapping reads a NamespaceMapping; a missing one is ErrMappingNotFound with a hint.
func GetMapping(ctx context.Context, c client.Client, key types.NamespacedName) (*drv1.NamespaceMapping, error) {
	m := &drv1.NamespaceMapping{}
	if err := c.Get(ctx, key, m); err != nil {
		switch {
		case apierrors.IsNotFound(err):
			return nil, fmt.Errorf("%w: %s does not exist in this cluster; list the mappings with `dr-syncer status --namespace %s`, or point --kubeconfig/--context at the controller's cluster", ErrMappingNotFound, key, key.Namespace)
		case meta.IsNoMatchError(err):
			return nil, fmt.Errorf("%w: this cluster has no NamespaceMapping type (CRD not installed): point --kubeconfig/--context at the cluster the dr-syncer controller runs in", ErrMappingNotFound)
		}
		return nil, fmt.Errorf("reading NamespaceMapping %s: %w", key, err)
	}
	return m, nil
}

// Trigger asks the controller for one sync of a mapping by setting a new dr-syncer.io/sync-now
// value (a merge patch of that one annotation), and returns the value.
func Trigger(ctx context.Context, c client.Client, key types.NamespacedName, now time.Time) (string, error) {
	m, err := GetMapping(ctx, c, key)
	if err != nil {
		return "", err
	}
	if m.Spec.Paused {
		return "", fmt.Errorf("NamespaceMapping %s is paused, so the controller would not act on the request: unpause it first (`dr-syncer failback --mapping %s`, or set spec.paused to false)", key, key)
	}
	value := now.UTC().Format(time.RFC3339Nano)
	if value == m.Annotations[drv1.AnnotationSyncNow] {
		value += "-1"
	}
	base := m.DeepCopy()
	if m.Annotations == nil {
		m.Annotations = map[string]string{}
	}
	m.Annotations[drv1.AnnotationSyncNow] = value
	if err := c.Patch(ctx, m, client.MergeFrom(base), client.FieldOwner(drv1.FieldManager)); err != nil {
		return "", fmt.Errorf("setting annotation %s on NamespaceMapping %s: %w", drv1.AnnotationSyncNow, key, err)
	}
	return value, nil
}

// WaitForSync polls a mapping until the controller has handled the sync request value and the
// sync has finished (status.lastHandledSyncRequest = value, phase not Syncing).
func WaitForSync(ctx context.Context, c client.Client, key types.NamespacedName, value string, timeout time.Duration) (*drv1.NamespaceMapping, error) {
	m := &drv1.NamespaceMapping{}
	err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		if err := c.Get(ctx, key, m); err != nil {
			if apierrors.IsNotFound(err) {
				return false, fmt.Errorf("NamespaceMapping %s was deleted while waiting for its sync", key)
			}
			return false, nil // transient: keep polling until the timeout
		}
		return m.Status.LastHandledSyncRequest == value && m.Status.Phase != drv1.PhaseSyncing, nil
	})
	if err != nil {
		if wait.Interrupted(err) && ctx.Err() == nil {
			return m, fmt.Errorf("NamespaceMapping %s: the sync requested at %s did not finish within %s (phase %q): is the dr-syncer controller running? check its logs, or raise --timeout",
				key, value, timeout, m.Status.Phase)
		}
		return m, err
	}
	return m, nil
}
