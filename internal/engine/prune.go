package engine

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// pruneGuardMinimum: the delete guard never blocks a prune of this many objects or fewer.
const pruneGuardMinimum = 10

// GuardTrips tells whether deleting deletes of managed objects is a mass deletion the delete
// guard holds back: more than pruneGuardMinimum objects and more than maxPercent % of them.
func GuardTrips(deletes, managed, maxPercent int) bool {
	return deletes > pruneGuardMinimum && deletes*100 > maxPercent*managed
}

type pruneCandidate struct {
	t   Type
	obj *unstructured.Unstructured
}

// prune deletes destination objects of this mapping whose source is gone or no longer selected.
// Types whose list failed on either side are left alone, and a prune larger than
// maxDeletePercent of the managed objects is held back unless released.
func (r *run) prune(ctx context.Context, states []*typeState) {
	var managed int
	var cands []pruneCandidate
	for _, st := range states {
		if !st.listed {
			continue
		}
		for name, live := range st.live {
			if live.GetLabels()[drv1.LabelMapping] != r.req.Transform.MappingID {
				continue
			}
			managed++
			if !st.selected[name] && live.GetDeletionTimestamp() == nil {
				cands = append(cands, pruneCandidate{t: st.t, obj: live})
			}
		}
	}
	if len(cands) == 0 {
		return
	}
	if GuardTrips(len(cands), managed, r.req.MaxDeletePercent) && !r.req.AllowPrune {
		r.res.PruneBlocked = &PruneBlock{WouldDelete: len(cands), Managed: managed}
		return
	}
	parallel(ctx, r.req.Workers, len(cands), func(i int) {
		c := cands[i]
		a := Action{GVK: c.t.GVK, Name: c.obj.GetName(), Type: ActionDelete}
		if r.req.KeepObjects {
			a.Live = c.obj
		}
		if err := r.deleteObject(ctx, c.t, c.obj); err != nil {
			a.Type, a.Reason, a.Message = ActionFailed, "DeleteFailed", err.Error()
		}
		r.record(a)
	})
}

// deleteObject deletes exactly the object that was listed (UID precondition).
func (r *run) deleteObject(ctx context.Context, t Type, obj *unstructured.Unstructured) error {
	uid := obj.GetUID()
	bg := metav1.DeletePropagationBackground
	opts := metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}, PropagationPolicy: &bg}
	if r.req.DryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	err := r.resource(t).Delete(ctx, obj.GetName(), opts)
	if apierrors.IsNotFound(err) {
		err = nil
	}
	if err == nil && !r.req.DryRun {
		r.req.Applied.Forget(uid)
	}
	return err
}
