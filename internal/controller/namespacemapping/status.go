package namespacemapping

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/engine"
)

// maxConditionMessage bounds a condition's message (the API's limit is 32768).
const maxConditionMessage = 32768

func setCondition(m *drv1.NamespaceMapping, typ string, status metav1.ConditionStatus, reason, msg string) {
	meta.SetStatusCondition(&m.Status.Conditions, metav1.Condition{
		Type: typ, Status: status, Reason: reason, Message: truncate(msg, maxConditionMessage), ObservedGeneration: m.Generation,
	})
}

// markNotReady records a state that keeps the mapping from syncing.
func markNotReady(m *drv1.NamespaceMapping, phase drv1.Phase, reason, msg string) {
	m.Status.Phase = phase
	setCondition(m, drv1.ConditionReady, metav1.ConditionFalse, reason, msg)
	meta.RemoveStatusCondition(&m.Status.Conditions, drv1.ConditionReconciling)
}

// markStalled records a spec that cannot work until a person changes it.
func markStalled(m *drv1.NamespaceMapping, msg string) {
	markStalledReason(m, drv1.ReasonInvalidSpec, msg)
}

func markStalledReason(m *drv1.NamespaceMapping, reason, msg string) {
	markNotReady(m, drv1.PhaseFailed, reason, msg)
	setCondition(m, drv1.ConditionStalled, metav1.ConditionTrue, reason, msg)
}

// summary is the one-line account of a sync used in conditions and events.
func summary(res *engine.Result) string {
	s := res.Stats
	msg := fmt.Sprintf("%d objects in %d types: %d created, %d updated, %d unchanged, %d deleted, %d skipped, %d conflicts, %d failed (%s)",
		s.Total, res.Types, s.Created, s.Updated, s.Unchanged, s.Deleted, s.Skipped, s.Conflicts, s.Failed, res.Duration.Round(1e6))
	if res.DriftCorrections > 0 {
		msg += fmt.Sprintf("; reverted %d hand edits in the destination", res.DriftCorrections)
	}
	if len(res.Unresolved) > 0 {
		msg += fmt.Sprintf("; resourceTypes not served by the source cluster: %s", strings.Join(res.Unresolved, ", "))
	}
	if res.DiscoveryIncomplete != "" {
		msg += "; types of API groups the source could not list were neither synced nor pruned: " + res.DiscoveryIncomplete
	}
	if s.Failed > 0 || s.Conflicts > 0 {
		msg += "; see status.failedResources"
	}
	return msg
}

// recordResult writes the outcome of a finished sync into the status.
func recordResult(m *drv1.NamespaceMapping, res *engine.Result, now metav1.Time) {
	stats := res.Stats
	m.Status.LastSyncTime = &now
	m.Status.LastSyncDuration = &metav1.Duration{Duration: res.Duration.Round(1e6)}
	m.Status.LastSyncStats = &stats
	m.Status.FailedResources = res.Failed
	m.Status.UnresolvedResourceTypes = res.Unresolved
	meta.RemoveStatusCondition(&m.Status.Conditions, drv1.ConditionReconciling)
	meta.RemoveStatusCondition(&m.Status.Conditions, drv1.ConditionStalled)
	if stats.Failed == 0 { // conflicts under conflictPolicy Skip are a chosen outcome
		m.Status.LastSuccessfulSyncTime = &now
		m.Status.Phase = drv1.PhaseSynced
		setCondition(m, drv1.ConditionReady, metav1.ConditionTrue, drv1.ReasonSucceeded, "Synced "+summary(res))
	} else {
		m.Status.Phase = drv1.PhaseFailed
		setCondition(m, drv1.ConditionReady, metav1.ConditionFalse, drv1.ReasonPartiallySucceeded, "Synced with failures: "+summary(res))
	}
	if pb := res.PruneBlocked; pb != nil {
		setCondition(m, drv1.ConditionPruneBlocked, metav1.ConditionTrue, drv1.ReasonDeleteThreshold, pruneBlockedMessage(m, pb))
	} else {
		meta.RemoveStatusCondition(&m.Status.Conditions, drv1.ConditionPruneBlocked)
	}
}

func pruneBlockedMessage(m *drv1.NamespaceMapping, pb *engine.PruneBlock) string {
	lost := ""
	if pb.Lost > 0 {
		lost = fmt.Sprintf(" (%d more were deleted in the last %s)", pb.Lost, engine.DeleteGuardWindow)
	}
	return fmt.Sprintf("nothing was deleted: the sync would delete %d of %d managed objects%s, more than prune.maxDeletePercent=%d%%; "+
		"if the deletions are intended, set annotation %s to a new value (e.g. the current time) or raise spec.prune.maxDeletePercent",
		pb.WouldDelete, pb.Managed, lost, m.Spec.PruneMaxDeletePercent(), drv1.AnnotationAllowPrune)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}
