package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/csaupgrade"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/transform"
)

// recreateTimeout bounds the wait for a deleted object to be gone before it is created again.
const recreateTimeout = 30 * time.Second

// execute carries out a planned item: writes creates and updates, reports the rest.
func (r *run) execute(ctx context.Context, it item) Action {
	if it.action == ActionCreate || it.action == ActionUpdate {
		return r.write(ctx, it)
	}
	a := Action{GVK: it.t.GVK, Name: it.desired.GetName(), Type: it.action, Message: it.msg}
	if it.action == ActionConflict {
		a.Reason = "Conflict"
	} else {
		a.Parked = transform.ParkedSummary(it.desired)
	}
	if r.req.KeepObjects {
		a.Desired, a.Live = it.desired, it.live
	}
	return a
}

// beforeFirstApply is the manager the API server gives every field of an object without
// managedFields on its first apply (k8s.io/apimachinery's fieldmanager).
const beforeFirstApply = "before-first-apply"

// upgradeOwnership turns the fields dr-syncer owns as an Update manager (from its create) into
// its apply manager's, before the first apply: otherwise fields later dropped from the desired
// object would stay, still owned by the Update entry. On the mapping's own objects the fields of
// "before-first-apply" are taken too: they are what was there when someone stripped managedFields.
func (r *run) upgradeOwnership(ctx context.Context, it item) error {
	if it.live == nil || r.req.DryRun {
		return nil
	}
	return r.upgradeOwnershipOf(ctx, it, it.live)
}

func (r *run) upgradeOwnershipOf(ctx context.Context, it item, live *unstructured.Unstructured) error {
	managers := sets.New(drv1.FieldManager)
	if !it.adopt {
		managers.Insert(beforeFirstApply)
	}
	patch, err := csaupgrade.UpgradeManagedFieldsPatch(live, managers, drv1.FieldManager)
	if err != nil || patch == nil {
		return err
	}
	return r.patchOwnership(ctx, it.t, live, patch, it.adopt)
}

// reclaimOwnership follows the apply to a mapping's object whose managedFields were stripped: the
// server gave what was there to "before-first-apply", so fields dropped from the source stayed.
// Those fields become dr-syncer's and the desired object is applied again, which drops them.
func (r *run) reclaimOwnership(ctx context.Context, it item, out *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	if r.req.DryRun || it.adopt || it.live == nil || ownedFieldSet(it.live) != nil || out == nil {
		return out, nil
	}
	if err := r.upgradeOwnershipOf(ctx, it, out); err != nil {
		return nil, err
	}
	cur, err := r.resource(it.t).Get(ctx, out.GetName(), metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	return r.apply(ctx, it.t, it.desired, cur, false, false)
}

// write carries out one planned create or update and returns its action.
func (r *run) write(ctx context.Context, it item) Action {
	a := Action{GVK: it.t.GVK, Name: it.desired.GetName(), Type: it.action, Drift: it.drift, Message: it.msg,
		Parked: transform.ParkedSummary(it.desired)}
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
			out, err = r.apply(ctx, it.t, it.desired, it.live, it.adopt, r.req.DryRun)
		}
		if err == nil {
			out, err = r.reclaimOwnership(ctx, it, out)
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
		if rule := r.req.Transform.Rules[it.t.GVK.GroupKind()]; rule != nil && !rule.Stash && (apierrors.IsInvalid(err) || apierrors.IsBadRequest(err)) {
			// The refused value may be the rule's: say which rule, or nobody looks there.
			a.Message += "; the object is parked by ParkingRule " + rule.Name + ": check that its fields fit this kind"
		}
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
// gone and creates the desired object. An object of that name that appeared meanwhile is not
// the mapping's: the recreate stops (or the create fails) and leaves it as it is.
func (r *run) recreate(ctx context.Context, it item) (*unstructured.Unstructured, error) {
	if r.req.DryRun {
		return it.desired, nil
	}
	uid := it.live.GetUID()
	if err := r.deleteObject(ctx, it.t, it.live); err != nil {
		return nil, err
	}
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, recreateTimeout, true, func(ctx context.Context) (bool, error) {
		cur, err := r.resource(it.t).Get(ctx, it.live.GetName(), metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		if err == nil && cur.GetUID() != uid {
			return false, fmt.Errorf("%s %s: %w: another object of that name appeared after the delete; it is left as it is", cur.GetKind(), cur.GetName(), ErrNotOwned)
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	out, err := r.createObject(ctx, it.t, it.desired)
	if apierrors.IsAlreadyExists(err) {
		err = fmt.Errorf("%s %s: %w: another object of that name appeared after the delete; it is left as it is", it.desired.GetKind(), it.desired.GetName(), ErrNotOwned)
	}
	return out, err
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
