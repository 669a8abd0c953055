package namespacemapping

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/continuous"
	"github.com/dr-syncer/dr-syncer/internal/engine"
	"github.com/dr-syncer/dr-syncer/internal/metrics"
)

// ensureWatcher starts (or restarts, after a spec or credential change) the per-object
// replication of a Continuous mapping.
func (r *Reconciler) ensureWatcher(ctx context.Context, m *drv1.NamespaceMapping, req engine.Request) (*continuous.Watcher, error) {
	key := client.ObjectKeyFromObject(m)
	if w := r.Continuous.Get(key); w != nil && w.Matches(m.UID, m.Generation, req) {
		return w, nil
	}
	// A type whose CRD was installed since the last discovery (moments before the mapping was
	// created) must be watched too: discovery is read afresh for a new watcher.
	req.Source.Invalidate()
	req.Dest.Invalidate()
	types, err := engine.ServedTypes(req)
	if err != nil {
		return nil, fmt.Errorf("resolving types to watch: %w", err)
	}
	return r.Continuous.Ensure(ctx, key, continuous.Spec{UID: m.UID, Generation: m.Generation, Request: req, Types: types})
}

// reportWatcher folds what the watcher did since the last full sync into the status.
func (r *Reconciler) reportWatcher(m *drv1.NamespaceMapping, st *mappingState, s continuous.Snapshot) {
	key := client.ObjectKeyFromObject(m).String()
	if !s.LastEvent.IsZero() {
		t := metav1.NewTime(s.LastEvent)
		m.Status.LastEventTime = &t
		if m.Status.LastSyncTime == nil || m.Status.LastSyncTime.Before(&t) {
			m.Status.LastSyncTime = &t
		}
	}
	if pb := s.PruneBlocked; pb != nil {
		if !meta.IsStatusConditionTrue(m.Status.Conditions, drv1.ConditionPruneBlocked) {
			r.Recorder.Eventf(m, nil, corev1.EventTypeWarning, "PruneBlocked", "Prune", "%s", pruneBlockedMessage(m, pb))
		}
		setCondition(m, drv1.ConditionPruneBlocked, metav1.ConditionTrue, drv1.ReasonDeleteThreshold, pruneBlockedMessage(m, pb)+
			"; deletions in the source are held until the next full resync")
		metrics.PruneBlocked(key, true)
	}
	ready := meta.FindStatusCondition(m.Status.Conditions, drv1.ConditionReady)
	f := st.failedResync()
	resyncFailed := f != nil
	switch {
	case s.WatchError != nil:
		markNotReady(m, drv1.PhaseFailed, drv1.ReasonClusterNotReady, fmt.Sprintf(
			"%v; replication resumes, with a full resync, when the cluster answers again", s.WatchError))
		metrics.MappingReady(key, false)
	case resyncFailed:
		// Replicating single objects does not repair what the full resync could not do.
		msg := f.message
		if len(s.Failures) > 0 {
			msg += fmt.Sprintf("; since then %d more objects failed to replicate", len(s.Failures))
		}
		m.Status.FailedResources = mergeFailures(failedResources(s.Failures), f.failed)
		m.Status.Phase = drv1.PhaseFailed
		setCondition(m, drv1.ConditionReady, metav1.ConditionFalse, drv1.ReasonPartiallySucceeded, msg)
		metrics.MappingReady(key, false)
	case len(s.Failures) > 0:
		m.Status.FailedResources = failedResources(s.Failures)
		m.Status.Phase = drv1.PhaseFailed
		setCondition(m, drv1.ConditionReady, metav1.ConditionFalse, drv1.ReasonPartiallySucceeded,
			fmt.Sprintf("%d objects failed to replicate since the last full sync; see status.failedResources", len(s.Failures)))
		metrics.MappingReady(key, false)
	case ready != nil && ready.Status != metav1.ConditionTrue && m.Status.LastSuccessfulSyncTime != nil:
		// Recovered since the last report.
		m.Status.Phase = drv1.PhaseSynced
		m.Status.FailedResources = nil
		setCondition(m, drv1.ConditionReady, metav1.ConditionTrue, drv1.ReasonSucceeded, "replicating continuously")
		metrics.MappingReady(key, true)
	}
	// The recovery point moves with replicated changes only while nothing is known to be missing.
	if s.WatchError == nil && len(s.Failures) == 0 && !resyncFailed && !s.LastEvent.IsZero() && m.Status.LastSuccessfulSyncTime != nil &&
		m.Status.LastSuccessfulSyncTime.Time.Before(s.LastEvent) {
		t := metav1.NewTime(s.LastEvent)
		m.Status.LastSuccessfulSyncTime = &t
		metrics.LastSuccess(key, s.LastEvent)
	}
}

// failedResync is a full resync that had failures, as recorded in status when it ended.
type failedResync struct {
	message string
	failed  []drv1.FailedResource
}

// rememberResync records the outcome of a Continuous mapping's full resync, after recordResult.
func (r *Reconciler) rememberResync(m *drv1.NamespaceMapping, st *mappingState, res *engine.Result) {
	if res.Stats.Failed == 0 {
		st.setFailedResync(nil)
		return
	}
	msg := ""
	if c := meta.FindStatusCondition(m.Status.Conditions, drv1.ConditionReady); c != nil {
		msg = c.Message
	}
	st.setFailedResync(&failedResync{message: msg, failed: slices.Clone(m.Status.FailedResources)})
}

// mergeFailures lists the newer failures first, then the older ones about other objects, at most
// MaxFailedResources.
func mergeFailures(newer, older []drv1.FailedResource) []drv1.FailedResource {
	out := slices.Clone(newer)
	for _, o := range older {
		if len(out) >= drv1.MaxFailedResources {
			break
		}
		if !slices.ContainsFunc(newer, func(n drv1.FailedResource) bool {
			return n.Group == o.Group && n.Kind == o.Kind && n.Name == o.Name
		}) {
			out = append(out, o)
		}
	}
	return out
}

func failedResources(actions []engine.Action) []drv1.FailedResource {
	out := make([]drv1.FailedResource, 0, len(actions))
	for _, a := range actions {
		if len(out) == drv1.MaxFailedResources {
			break
		}
		reason := a.Reason
		if reason == "" {
			reason = "Failed"
		}
		out = append(out, drv1.FailedResource{Group: a.GVK.Group, Kind: a.GVK.Kind, Name: a.Name, Reason: reason, Message: truncate(a.Message, 1024)})
	}
	return out
}
