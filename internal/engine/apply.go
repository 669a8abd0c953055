package engine

import (
	"context"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/util/csaupgrade"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// recreateTimeout bounds the wait for a deleted object to be gone before it is created again.
const recreateTimeout = 30 * time.Second

func (r *run) resource(t Type) dynamic.ResourceInterface {
	return r.req.Dest.Dynamic.Resource(t.GVR).Namespace(r.req.Transform.DestNamespace)
}

// apply server-side applies desired with dr-syncer's field manager, taking ownership of every
// field it sets (which reverts hand edits). Only objects this mapping owns, or adopts, get here.
func (r *run) apply(ctx context.Context, t Type, desired *unstructured.Unstructured, dryRun bool) (*unstructured.Unstructured, error) {
	opts := metav1.ApplyOptions{FieldManager: drv1.FieldManager, Force: true}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	return r.resource(t).Apply(ctx, desired.GetName(), desired, opts)
}

// execute carries out a planned item: writes creates and updates, reports the rest.
func (r *run) execute(ctx context.Context, it item) Action {
	if it.action == ActionCreate || it.action == ActionUpdate {
		return r.write(ctx, it)
	}
	a := Action{GVK: it.t.GVK, Name: it.desired.GetName(), Type: it.action, Message: it.msg}
	if it.action == ActionConflict {
		a.Reason = "Conflict"
	}
	if r.req.KeepObjects {
		a.Desired, a.Live = it.desired, it.live
	}
	return a
}

// create writes a new object with a plain create, the cheapest write an API server takes (a
// third cheaper than a server-side apply here; see docs/performance.md). Its fields are owned by
// dr-syncer as an Update manager until the first apply converts them (upgradeOwnership). An
// object that appeared meanwhile is not touched: the next sync plans it again.
func (r *run) create(ctx context.Context, t Type, desired *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	opts := metav1.CreateOptions{FieldManager: drv1.FieldManager}
	if r.req.DryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	return r.resource(t).Create(ctx, desired, opts)
}

// upgradeOwnership turns the fields dr-syncer owns as an Update manager (from its create) into
// its apply manager's, before the first apply: otherwise fields later dropped from the desired
// object would stay, still owned by the Update entry.
func (r *run) upgradeOwnership(ctx context.Context, it item) error {
	if it.live == nil || r.req.DryRun {
		return nil
	}
	patch, err := csaupgrade.UpgradeManagedFieldsPatch(it.live, sets.New(drv1.FieldManager), drv1.FieldManager)
	if err != nil || patch == nil {
		return err
	}
	_, err = r.resource(it.t).Patch(ctx, it.live.GetName(), types.JSONPatchType, patch, metav1.PatchOptions{})
	return err
}

// write carries out one planned create or update and returns its action.
func (r *run) write(ctx context.Context, it item) Action {
	a := Action{GVK: it.t.GVK, Name: it.desired.GetName(), Type: it.action, Drift: it.drift, Message: it.msg}
	if r.req.KeepObjects {
		a.Desired, a.Live = it.desired, it.live
	}
	if r.req.DryRun && !r.destExists {
		return a // nothing to dry-run against: the namespace would be created first
	}
	var out *unstructured.Unstructured
	var err error
	if it.action == ActionCreate {
		out, err = r.create(ctx, it.t, it.desired)
	} else {
		if err = r.upgradeOwnership(ctx, it); err == nil {
			out, err = r.apply(ctx, it.t, it.desired, r.req.DryRun)
		}
	}
	if err != nil && isImmutable(err) {
		if r.req.ImmutableFieldPolicy != drv1.ImmutableRecreate || isPVC(it.t) || it.live == nil {
			a.Type, a.Reason, a.Message = ActionFailed, "Immutable", immutableMessage(err, isPVC(it.t))
			return a
		}
		out, err = r.recreate(ctx, it)
		if err == nil {
			a.Message = "recreated: an immutable field changed"
		}
	}
	if err != nil {
		a.Type, a.Reason, a.Message = ActionFailed, "ApplyFailed", err.Error()
		return a
	}
	if r.req.DryRun {
		if r.req.KeepObjects {
			a.Desired = out
		}
		return a
	}
	r.req.Applied.put(out)
	return a
}

// recreate deletes the live object (only that exact one: UID precondition), waits until it is
// gone and applies the desired object.
func (r *run) recreate(ctx context.Context, it item) (*unstructured.Unstructured, error) {
	if r.req.DryRun {
		return it.desired, nil
	}
	uid := it.live.GetUID()
	bg := metav1.DeletePropagationBackground
	err := r.resource(it.t).Delete(ctx, it.live.GetName(), metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}, PropagationPolicy: &bg})
	if err != nil && !apierrors.IsNotFound(err) {
		return nil, err
	}
	r.req.Applied.Forget(uid)
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, recreateTimeout, true, func(ctx context.Context) (bool, error) {
		cur, err := r.resource(it.t).Get(ctx, it.live.GetName(), metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return err == nil && cur.GetUID() != uid, nil
	})
	if err != nil {
		return nil, err
	}
	return r.apply(ctx, it.t, it.desired, false)
}

// isImmutable recognises the API server's refusals to change a field in place.
func isImmutable(err error) bool {
	if !apierrors.IsInvalid(err) {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "is immutable") || strings.Contains(msg, "Forbidden: updates to")
}

func immutableMessage(err error, pvc bool) string {
	hint := "set immutableFieldPolicy: Recreate to delete and re-create it"
	if pvc {
		hint = "PersistentVolumeClaims are never re-created (their data would be lost); change or delete it by hand"
	}
	return truncate(err.Error(), 800) + "; " + hint
}
