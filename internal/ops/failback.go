package ops

import (
	"context"
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/selection"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/engine"
	"github.com/dr-syncer/dr-syncer/internal/transform"
)

// Failback returns from DR to the source, in five steps:
//  1. with ReverseSync, copy DR's objects back into the source namespace while DR is still live,
//  2. park every DR workload of the scope again (replicas 0, suspended, paused; DaemonSets
//     parked); if any cannot be parked, stop here: DR stays marked live and the source is not
//     touched, so no workload runs on both sides,
//  3. remove the live marker of the DR namespace,
//  4. restore the source workloads parked by the cutover (or the reverse sync) from the values
//     recorded on them, and drop those records,
//  5. unpause the NamespaceMappings.
//
// The source must answer and be another cluster or namespace than DR. Like Cutover, every
// write goes through the engine's gate and every step looks before it writes: re-running a
// failback that stopped finishes it.
func Failback(ctx context.Context, s *Scope, o Options) (_ *Report, retErr error) {
	st := newSteps(o, 5)
	if err := Probe(ctx, s.Source, o.sourceTimeout()); err != nil {
		return st.rep, fmt.Errorf("failback needs the source cluster: %w; wait until it answers (or raise --source-timeout)", err)
	}
	g := s.gate()
	if err := engine.NewGate(ctx, g, true); err != nil {
		return st.rep, fmt.Errorf("failback: %w", err)
	}
	defer func() {
		if retErr != nil {
			recordEvent(ctx, s, g, st, corev1.EventTypeWarning, "FailbackFailed", "Failback", fmt.Sprintf("failback of %s failed: %v; run it again once the cause is fixed", s.Where(), retErr))
			return
		}
		recordEvent(ctx, s, g, st, corev1.EventTypeNormal, "FailbackCompleted", "Failback", "failback of "+s.Where()+" completed: DR is parked, the source runs")
	}()
	ns, err := getNamespace(ctx, s.Dest, s.DestNamespace)
	if err != nil {
		return st.rep, err
	}
	liveSince := ns.Annotations[AnnotationLiveSince]

	st.step("reverse sync %s/%s → %s/%s", s.Dest.Name, s.DestNamespace, s.Source.Name, s.SourceNamespace)
	switch {
	case !o.ReverseSync:
		st.note("skipped: the source keeps its own definitions (--reverse-sync copies DR's back first)")
	case liveSince == "":
		st.warn("reverse sync skipped: namespace %s in %s is not marked live (annotation %s): either no cutover happened or a failback has parked DR already, and copying parked workloads would park the source", s.DestNamespace, s.Dest.Name, AnnotationLiveSince)
	default:
		res, err := runSync(ctx, ReverseRequest(s), o, st)
		if err != nil {
			return st.rep, fmt.Errorf("reverse sync: %w; DR is still live, nothing else was changed", err)
		}
		if res.Stats.Failed > 0 {
			return st.rep, fmt.Errorf("reverse sync: %d objects failed (%s); DR is still live: fix them and re-run failback", res.Stats.Failed, failureList(res))
		}
	}

	st.step("park the DR workloads in %s/%s", s.Dest.Name, s.DestNamespace)
	// Stashed first: a stashed object is removed from DR, not parked.
	if err := restashAll(ctx, g, s, st); err != nil {
		return st.rep, fmt.Errorf("stashed objects could not be stashed again: %w; DR is still marked live and the source was not changed: fix the cause and re-run failback", err)
	}
	kinds, err := parkedKinds(ctx, s.Dest, s.DestNamespace, s.drSelector())
	if err != nil {
		return st.rep, err
	}
	drWorkloads, err := st.list(ctx, s.Dest, s.DestNamespace, s.drSelector(), kinds)
	if err != nil {
		return st.rep, err
	}
	drWorkloads = ownedOnly(drWorkloads, s.MappingIDs)
	// Every copy of the source namespace is parked (whatever the selector says now: the source
	// restore below brings back every workload the cutover parked). Copies of other source
	// namespaces are not this failback's: they keep running, and the namespace stays live.
	var othersLive []string
	for _, w := range drWorkloads {
		if _, live, _ := transform.Park(w.obj); live && !s.copiedFromSourceNamespace(w) {
			othersLive = append(othersLive, fmt.Sprintf("%s (mapping %s)", w.key(), w.obj.GetLabels()[drv1.LabelMapping]))
		}
	}
	if _, errs := changeAll(ctx, g, engine.SideDR, drWorkloads, s.copiedFromSourceNamespace, transform.Park, st); len(errs) > 0 {
		return st.rep, fmt.Errorf("%d DR workloads could not be parked: %w; DR is still marked live and the source was not changed, so nothing runs on both sides: fix the cause (an admission policy, a quota, RBAC) and re-run failback",
			len(errs), errors.Join(errs...))
	}

	st.step("remove the live mark of namespace %s in %s", s.DestNamespace, s.Dest.Name)
	if liveSince == "" {
		st.note("not marked live")
	} else if len(othersLive) > 0 {
		st.warn("kept: copies of other mappings run live in it: %s; fail those back to remove the mark", strings.Join(othersLive, ", "))
	} else if err := setLiveSince(ctx, g, ns, "", st); err != nil {
		return st.rep, err
	}

	st.step("restore the source workloads in %s/%s", s.Source.Name, s.SourceNamespace)
	// Every workload the cutover parked, whatever the selector says now.
	srcWorkloads, err := st.list(ctx, s.Source, s.SourceNamespace, labels.Everything(), kinds)
	if err != nil {
		return st.rep, err
	}
	// A Job that finished in DR while it was live is not resumed at the source: it would run a
	// second time. It stays suspended there, with its record.
	finishedInDR := map[string]string{}
	for _, w := range drWorkloads {
		if w.kind.kind == "Job" && s.copiedFromSourceNamespace(w) {
			if how := transform.JobFinished(w.obj); how != "" {
				finishedInDR[w.key()] = how
			}
		}
	}
	_, errs := changeAll(ctx, g, engine.SideSource, srcWorkloads, func(w workload) bool {
		if _, ok := w.recorded(); !ok {
			return false
		}
		if how, done := finishedInDR[w.key()]; done {
			st.note("%s not resumed: it finished in DR (%s) and would run a second time; it stays suspended", w.key(), how)
			return false
		}
		return true
	}, restoreSource, st)

	st.step("unpause the NamespaceMappings that write into %s/%s", s.Dest.Name, s.DestNamespace)
	if len(errs) > 0 && len(s.Mappings) > 0 {
		st.warn("NamespaceMappings %s left paused: some source workloads could not be restored; fix them and re-run failback", mappingNames(s.Mappings))
	} else if err := setPaused(ctx, s, st, false); err != nil {
		return st.rep, err
	}
	return st.rep, errors.Join(errs...)
}

// restoreSource undoes a cutover's parking of a source workload and drops the record, so the
// source is left as it was before the cutover.
func restoreSource(live *unstructured.Unstructured) (*unstructured.Unstructured, bool, error) {
	out, changed, err := transform.Activate(live)
	if err != nil {
		return nil, false, err
	}
	annotations := out.GetAnnotations()
	for _, k := range []string{drv1.AnnotationOriginalReplicas, drv1.AnnotationOriginalReplicasPath, drv1.AnnotationOriginalSuspend, drv1.AnnotationOriginalNodeSelector, drv1.AnnotationSourceFinished, drv1.AnnotationOriginalPaused, drv1.AnnotationOriginalRunStrategy, drv1.AnnotationOriginalHibernation, drv1.AnnotationOriginalFields} {
		if _, ok := annotations[k]; ok {
			delete(annotations, k)
			changed = true
		}
	}
	out.SetAnnotations(annotations)
	return out, changed, nil
}

// ReverseRequest is the sync of a failback: DR's objects of the scope copied back into the
// source namespace. It adopts the source objects (they were not written by dr-syncer), never
// deletes, leaves the source namespace's metadata alone, and parks workloads in the source (by
// the mapping's ParkingRules too, and its parkNetworking), so that the restore step then brings
// them up at DR's current values. Stash rules do not apply: the source gets the objects
// themselves.
func ReverseRequest(s *Scope) engine.Request {
	f := s.Sync
	sel := s.drSelector()
	if len(s.MappingIDs) > 0 {
		// Only this mapping's copies: another mapping's would land in this source namespace.
		own, err := labels.NewRequirement(drv1.LabelMapping, selection.Equals, []string{f.Transform.MappingID})
		if err != nil {
			panic(err) // mapping IDs are label values by construction
		}
		sel = labels.NewSelector().Add(*own)
	}
	if f.Selector != nil {
		reqs, _ := f.Selector.Requirements()
		sel = sel.Add(reqs...)
	}
	return engine.Request{
		Source:               s.Dest,
		Dest:                 s.Source,
		ResourceTypes:        f.ResourceTypes,
		ExcludeResourceTypes: f.ExcludeResourceTypes,
		Selector:             sel,
		Transform: transform.Options{
			SourceCluster:   s.Dest.Name,
			SourceNamespace: s.DestNamespace,
			DestNamespace:   s.SourceNamespace,
			MappingID:       engine.MappingID("reverse", f.Transform.MappingID),
			ScaleToZero:     true,
			PVC:             invertPVC(f.Transform.PVC),
			Rules:           parkingRulesOnly(f.Transform.Rules),
			ParkNetworking:  f.Transform.ParkNetworking,
		},
		ConflictPolicy:       drv1.ConflictAdopt,
		ImmutableFieldPolicy: drv1.ImmutableSkip,
		Workers:              f.Workers,
	}
}

// parkingRulesOnly drops the stash rules.
func parkingRulesOnly(rules map[schema.GroupKind]*transform.Rule) map[schema.GroupKind]*transform.Rule {
	out := map[schema.GroupKind]*transform.Rule{}
	for gk, r := range rules {
		if !r.Stash {
			out[gk] = r
		}
	}
	return out
}

// invertPVC turns a mapping's storage class and access mode renames around; a rename that
// several classes share cannot be undone and the first one wins.
func invertPVC(c drv1.PVCConfig) drv1.PVCConfig {
	out := drv1.PVCConfig{PreserveVolumeName: c.PreserveVolumeName}
	seen := map[string]bool{}
	for _, m := range c.StorageClassMappings {
		if !seen[m.To] {
			seen[m.To] = true
			out.StorageClassMappings = append(out.StorageClassMappings, drv1.StorageClassMapping{From: m.To, To: m.From})
		}
	}
	seenMode := map[drv1.AccessMode]bool{}
	for _, m := range c.AccessModeMappings {
		if !seenMode[m.To] {
			seenMode[m.To] = true
			out.AccessModeMappings = append(out.AccessModeMappings, drv1.AccessModeMapping{From: m.To, To: m.From})
		}
	}
	return out
}
