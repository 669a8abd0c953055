package engine

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

type pruneCandidate struct {
	t   Type
	obj *unstructured.Unstructured
}

// prune deletes destination objects of this mapping whose source is gone or no longer selected.
// Only objects the mapping owns (Owns) count, as candidates and as the guard's denominator
// (with the copies of types whose source list failed: they are still the mapping's, so a failed
// list is no loss). Types whose list failed on either side are left alone; the delete guard
// decides the rest, and the live fence is read once more right before the first delete.
func (r *run) prune(ctx context.Context, states []*typeState) {
	var managed int
	var cands []pruneCandidate
	for _, st := range states {
		if !st.counted {
			continue
		}
		for name, live := range st.live {
			if !Owns(live, r.req.Transform.MappingID) {
				continue
			}
			managed++
			if st.listed && !st.selected[name] && live.GetDeletionTimestamp() == nil {
				cands = append(cands, pruneCandidate{t: st.t, obj: live})
			}
		}
	}
	mark := readPeak(r.destNS, r.req.Transform.MappingID, time.Now())
	// The level recorded as a peak counts the copies this run created (not listed before it).
	r.mu.Lock()
	created := int(r.res.Stats.Created)
	r.mu.Unlock()
	if len(cands) == 0 {
		if !r.req.DryRun {
			// Nothing to delete: whatever Continuous mode held was undone in the source.
			r.req.Guard.release()
		}
		r.notePeak(ctx, mark, managed+created, false, false)
		return
	}
	guard := r.req.Guard
	if r.req.DryRun {
		guard = nil // plan: report what the guard would do, without recording anything
	}
	if b := guard.admitBatch(len(cands), managed, mark.count, r.req.MaxDeletePercent, r.req.AllowPrune); b != nil {
		r.res.PruneBlocked = b
		r.notePeak(ctx, mark, managed+created, false, false)
		return
	}
	if r.req.AllowPrune {
		defer r.notePeak(ctx, mark, managed+created-len(cands), true, true)
	} else {
		defer r.notePeak(ctx, mark, managed+created, false, true)
	}
	if err := r.recheckFence(ctx); err != nil {
		r.record(Action{Type: ActionFailed, Reason: "DestinationLive", Message: err.Error()})
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
