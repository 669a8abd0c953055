package ops

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/cluster"
	"github.com/dr-syncer/dr-syncer/internal/engine"
	"github.com/dr-syncer/dr-syncer/internal/transform"
)

// Cutover brings the DR namespace of s live, in five steps:
//  1. pause the NamespaceMappings that write into it (when the controller's cluster is known),
//  2. run a final sync, when the source answers and DR is not live yet (unless NoSync); it
//     prunes nothing unless Prune,
//  3. mark the DR namespace live (AnnotationLiveSince),
//  4. park the source workloads that have a DR copy, recording their counts on the source,
//  5. activate every DR workload of the scope from its recorded originals, except those whose
//     source could not be parked (they would run on both sides).
//
// Only the DR cluster must answer. When the source answers, it must be another cluster or
// namespace than DR (engine.CheckIdentity). Every write goes through the engine's gate, every
// step looks before it writes, so a second run changes nothing and a run after a crash or a
// failed step finishes the job.
func Cutover(ctx context.Context, s *Scope, o Options) (_ *Report, retErr error) {
	st := newSteps(o, 5)
	var errs []error
	ns, err := getNamespace(ctx, s.Dest, s.DestNamespace)
	if err != nil {
		return st.rep, err
	}
	liveSince := ns.Annotations[AnnotationLiveSince]
	g := s.gate()
	srcErr := Probe(ctx, s.Source, o.sourceTimeout())
	if srcErr == nil {
		if err := engine.NewGate(ctx, g, true); err != nil {
			if engine.IsSameClusterAndNamespace(err) {
				return st.rep, err
			}
			srcErr = err
		}
	}
	recordEvent(ctx, s, g, st, corev1.EventTypeNormal, "CutoverStarted", "Cutover", "cutover of "+s.Where()+" started")
	defer func() {
		if retErr != nil {
			recordEvent(ctx, s, g, st, corev1.EventTypeWarning, "CutoverFailed", "Cutover", fmt.Sprintf("cutover of %s failed: %v; run it again once the cause is fixed", s.Where(), retErr))
			return
		}
		note := "cutover of " + s.Where() + " completed: DR is live"
		if len(st.rep.Warnings) > 0 {
			note += fmt.Sprintf(", with %d warnings: %s", len(st.rep.Warnings), strings.Join(st.rep.Warnings, "; "))
		}
		recordEvent(ctx, s, g, st, corev1.EventTypeNormal, "CutoverCompleted", "Cutover", note)
	}()

	st.step("pause the NamespaceMappings that write into %s/%s", s.Dest.Name, s.DestNamespace)
	if err := setPaused(ctx, s, st, true); err != nil {
		return st.rep, err
	}

	kinds, err := parkedKinds(ctx, s.Dest, s.DestNamespace, s.drSelector())
	if err != nil {
		return st.rep, err
	}
	var srcWorkloads []workload
	var unlisted map[*workloadKind]error
	if srcErr == nil {
		// Every source workload with a DR copy is parked, selected or not: a copy made before
		// the selector changed comes live all the same. The source answers: a kind it cannot
		// list is one whose workloads cannot be parked, not an unreachable source.
		srcWorkloads, unlisted = listSourceWorkloads(ctx, s.Source, s.SourceNamespace, kinds)
		srcWorkloads = st.sim.apply(s.Source, s.SourceNamespace, labels.Everything(), srcWorkloads)
	}

	st.step("final sync %s", s.Where())
	switch {
	case o.NoSync:
		st.note("skipped (--no-sync): DR comes live with what the last sync copied")
	case srcErr != nil:
		st.warn("final sync skipped: the source is unreachable (%v); DR comes live with what the last sync copied", srcErr)
	case liveSince != "":
		st.note("skipped: DR has been live since %s; a sync now would overwrite what changed in DR since", liveSince)
	default:
		if w := parkedSource(srcWorkloads); w != nil {
			st.warn("final sync skipped: %s in the source was parked by an earlier cutover (annotation %s); a sync now would copy parked workloads", w.key(), w.kind.annotation)
			break
		}
		if err := finalSync(ctx, s, o, st); err != nil {
			return st.rep, err
		}
	}

	st.step("mark namespace %s in %s live", s.DestNamespace, s.Dest.Name)
	if liveSince != "" {
		st.note("live since %s", liveSince)
	} else if err := setLiveSince(ctx, g, ns, time.Now().UTC().Format(time.RFC3339), st); err != nil {
		return st.rep, err
	}

	st.step("park the source workloads in %s/%s", s.Source.Name, s.SourceNamespace)
	drWorkloads, err := st.list(ctx, s.Dest, s.DestNamespace, s.drSelector(), kinds)
	if err != nil {
		return st.rep, err
	}
	drWorkloads = ownedOnly(drWorkloads, s.MappingIDs)
	drWorkloads = s.copiesOfScope(drWorkloads, st)
	// The objects cutover will create from their stash: their sources are parked like the
	// copies', whenever dr-syncer knows how to park their kind.
	stashes, serrs := listStashes(ctx, s, s.copiedFromScope)
	var notParked map[string]bool
	sourceParked := map[string]bool{}
	if srcErr != nil {
		st.warn("source workloads not parked: the source is unreachable; when it answers again, re-run this cutover before anything else starts them (it then parks the source and changes nothing in DR)")
	} else {
		copies := map[string]bool{}
		for _, w := range drWorkloads {
			copies[w.key()] = true
		}
		stashed := map[string]bool{}
		for _, x := range stashes {
			stashed[x.key(kinds)] = true
		}
		var perr []error
		notParked, perr = changeAll(ctx, g, engine.SideSource, srcWorkloads, func(w workload) bool { return copies[w.key()] || stashed[w.key()] }, parkSource(kinds, drWorkloads), st)
		errs = append(errs, perr...)
		for _, w := range srcWorkloads {
			if stashed[w.key()] && !notParked[w.key()] {
				sourceParked[w.key()] = true
			}
		}
		reported := map[*workloadKind]bool{}
		for _, w := range drWorkloads {
			if err, failed := unlisted[w.kind]; failed {
				if !reported[w.kind] {
					reported[w.kind] = true
					st.warn("%s in %s/%s not parked: %v", w.kind.gvr.Resource, s.Source.Name, s.SourceNamespace, err)
					errs = append(errs, err)
				}
				notParked[w.key()] = true
			}
		}
	}

	st.step("activate the DR workloads in %s/%s", s.Dest.Name, s.DestNamespace)
	if len(drWorkloads) == 0 {
		st.note("no workloads written by dr-syncer")
	}
	_, aerr := changeAll(ctx, g, engine.SideDR, drWorkloads, func(w workload) bool {
		if notParked[w.key()] {
			st.warn("%s not activated in DR: its source could not be parked, and it must not run on both sides; fix the source and re-run cutover", w.key())
			return false
		}
		return true
	}, transform.Activate, st)
	errs = append(errs, aerr...)
	unstashed, uerr := unstashAll(ctx, g, s, st, stashes, serrs, kinds, sourceParked, notParked)
	errs = append(errs, uerr...)
	st.rep.Activated = append(waitRefs(drWorkloads, notParked), unstashed...)
	return st.rep, errors.Join(errs...)
}

// finalSync runs the forward sync and reports it; per-object failures are warnings (DR comes
// live regardless), a sync that cannot run at all stops the cutover. It prunes only with
// o.Prune: a production namespace half deleted by the disaster must not be mirrored into DR
// just before it goes live.
func finalSync(ctx context.Context, s *Scope, o Options, st *steps) error {
	req := s.Sync
	req.Prune = o.Prune
	res, err := runSync(ctx, req, o, st)
	if err != nil {
		return fmt.Errorf("final sync: %w; to bring DR live with what the last sync copied, re-run with --no-sync", err)
	}
	if res.Stats.Failed > 0 {
		st.warn("%d objects failed in the final sync (%s); DR comes live with their previous version", res.Stats.Failed, failureList(res))
	}
	if res.Stats.Conflicts > 0 {
		// With the flag form, every copy a NamespaceMapping wrote is a conflict: the final sync
		// then copied none of the changes since that mapping's last sync.
		st.warn("%d objects not updated by the final sync (%s): dr-syncer did not write them, or another mapping did; DR comes live with their current version (to sync a mapping's copies, cut over with --mapping)", res.Stats.Conflicts, conflictList(res))
	}
	return nil
}

// conflictList names up to five conflicts of a sync.
func conflictList(res *engine.Result) string {
	var names []string
	for _, a := range res.Actions {
		if a.Type != engine.ActionConflict {
			continue
		}
		if len(names) == 5 {
			names = append(names, "...")
			break
		}
		names = append(names, a.GVK.Kind+" "+a.Name)
	}
	return strings.Join(names, ", ")
}

// runSync runs a final or reverse sync with the caller's progress reporting and reports it.
func runSync(ctx context.Context, req engine.Request, o Options, st *steps) (*engine.Result, error) {
	// A dry run keeps the objects its server-side dry runs return: the later steps see them.
	req.DryRun, req.KeepObjects = o.DryRun, req.KeepObjects || o.DryRun
	done := func() {}
	if o.SyncProgress != nil {
		done = o.SyncProgress(&req)
	}
	res, err := engine.Sync(ctx, req)
	done()
	if err != nil {
		return res, err
	}
	if o.DryRun {
		st.sim.record(req.Dest, req.Transform.DestNamespace, res)
	}
	st.note("%s", SyncSummary(res, o.DryRun))
	st.rep.Changes += int(res.Stats.Created + res.Stats.Updated + res.Stats.Deleted)
	return res, nil
}

// changeAll applies fn to every workload that keep accepts (nil: all) through the gate on side,
// and reports each change. Errors are collected, with the keys of the workloads that failed:
// one broken object must not keep the others from being changed.
func changeAll(ctx context.Context, g *engine.Gate, side engine.Side, ws []workload, keep func(workload) bool, fn changeFunc, st *steps) (map[string]bool, []error) {
	var errs []error
	failed := map[string]bool{}
	changed := 0
	for _, w := range ws {
		if keep != nil && !keep(w) {
			continue
		}
		desc, err := changeWorkload(ctx, g, side, w, fn, st.dryRun)
		if err != nil {
			st.warn("%v", err)
			errs = append(errs, err)
			failed[w.key()] = true
			continue
		}
		if desc != "" {
			changed++
			st.change("%s", desc)
		}
	}
	if changed == 0 && len(errs) == 0 {
		st.note("nothing to change")
	}
	return failed, errs
}

// parkedSource returns a source workload that carries a recorded original, which only a cutover
// (or a reverse sync) writes there.
func parkedSource(ws []workload) *workload {
	for i := range ws {
		if _, ok := ws[i].recorded(); ok {
			return &ws[i]
		}
	}
	return nil
}

func getNamespace(ctx context.Context, h *cluster.Handle, name string) (*corev1.Namespace, error) {
	ns := &corev1.Namespace{}
	if err := h.Client.Get(ctx, client.ObjectKey{Name: name}, ns); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("namespace %s does not exist in cluster %s: nothing was ever synced there; check --dest-namespace (or the mapping's destinationNamespace)", name, h.Name)
		}
		return nil, fmt.Errorf("reading namespace %s in cluster %s: %w", name, h.Name, err)
	}
	return ns, nil
}

// setLiveSince sets (value != "") or removes the live marker of a DR namespace.
func setLiveSince(ctx context.Context, g *engine.Gate, ns *corev1.Namespace, value string, st *steps) error {
	if value == "" {
		st.change("Namespace %s: remove annotation %s", ns.Name, AnnotationLiveSince)
	} else {
		st.change("Namespace %s: annotation %s=%s", ns.Name, AnnotationLiveSince, value)
	}
	if st.dryRun {
		return nil
	}
	if err := g.SetLiveSince(ctx, ns, value); err != nil {
		return fmt.Errorf("annotating namespace %s in cluster %s: %w", ns.Name, g.Dest.Name, err)
	}
	return nil
}

// copiesOfScope keeps the DR workloads copied from the scope's source namespace and selection:
// only their sources are parked by this cutover. Another mapping's copies in the same DR
// namespace (from another namespace, or another selection) are left parked, with a warning:
// activating them would run them on both sides.
func (s *Scope) copiesOfScope(ws []workload, st *steps) []workload {
	out := ws[:0:0]
	for _, w := range ws {
		if s.copiedFromScope(w) {
			out = append(out, w)
			continue
		}
		st.warn("%s not activated: it is a copy of %s (mapping %s), not of %s/%s, and this cutover does not park its source; cut over its own mapping",
			w.key(), w.obj.GetAnnotations()[drv1.AnnotationSource], w.obj.GetLabels()[drv1.LabelMapping], s.Source.Name, s.SourceNamespace)
	}
	return out
}

// copiedFromScope tells whether a DR workload is a copy of an object of the scope's source
// namespace that the scope's selector selects: the copies a cutover activates.
func (s *Scope) copiedFromScope(w workload) bool {
	return s.copiedFromSourceNamespace(w) && s.sourceSelector().Matches(labels.Set(w.obj.GetLabels()))
}

// copiedFromSourceNamespace tells whether a DR workload is a copy of an object of the scope's
// source namespace (its dr-syncer.io/source annotation), selected or not: the copies a failback
// parks before it restores that namespace, whatever the selector says now.
func (s *Scope) copiedFromSourceNamespace(w workload) bool {
	parts := strings.Split(w.obj.GetAnnotations()[drv1.AnnotationSource], "/") // cluster/namespace/name
	return len(parts) >= 3 && parts[len(parts)-2] == s.SourceNamespace
}
