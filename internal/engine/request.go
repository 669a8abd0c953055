// Package engine syncs one source namespace into one destination namespace as a parked standby
// image, in stages: resolve types → list source → select → transform → plan → apply → prune → report.
package engine

import (
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/cluster"
	"github.com/dr-syncer/dr-syncer/internal/transform"
)

// Request is everything one sync needs; the controller builds it from a NamespaceMapping and the
// CLI from flags.
type Request struct {
	Source, Dest *cluster.Handle

	ResourceTypes        []string
	ExcludeResourceTypes []string
	// Selector filters source objects; nil selects everything.
	Selector labels.Selector
	// Transform carries namespaces, the mapping ID and per-kind options.
	Transform transform.Options

	CreateNamespace, CopyNamespaceLabels, CopyNamespaceAnnotations bool
	SyncCRDs                                                       bool

	Prune            bool
	MaxDeletePercent int
	// AllowPrune releases the delete guard for this run.
	AllowPrune bool
	// Guard is the mapping's delete guard, kept across runs by the controller; nil judges each
	// run on its own (CLI).
	Guard *DeleteGuard
	// Managed, in Continuous mode, counts the destination objects the mapping manages now: the
	// delete guard's denominator for single deletions.
	Managed func() int

	ConflictPolicy       drv1.ConflictPolicy
	ImmutableFieldPolicy drv1.ImmutableFieldPolicy

	// Workers bounds parallel writes; 0 means 16.
	Workers int
	// DryRun plans without writing (server-side dry run on the destination).
	DryRun bool
	// KeepObjects records desired and live objects in the result's actions (for diffs).
	KeepObjects bool
	// Applied remembers what this process last applied, so a no-op resync issues no requests
	// beyond lists. nil means every unchanged-looking object is confirmed by a dry run.
	Applied *AppliedCache
	// OnListed, when set, is called once the sources are listed, with the number of objects to
	// plan and write; OnAction after every recorded action. Calls never overlap (progress bars).
	OnListed func(objects int)
	OnAction func(Action)
}

// ActionType is what a sync does (or would do) to one destination object.
type ActionType string

const (
	ActionCreate    ActionType = "create"
	ActionUpdate    ActionType = "update"
	ActionUnchanged ActionType = "unchanged"
	ActionDelete    ActionType = "delete"
	ActionConflict  ActionType = "conflict"
	ActionSkip      ActionType = "skip"
	ActionFailed    ActionType = "failed"
)

// Action is the outcome for one destination object.
type Action struct {
	GVK  schema.GroupVersionKind
	Name string
	Type ActionType
	// Drift is set when an update reverted a hand edit in the destination.
	Drift bool
	// Reason and Message explain conflicts, skips and failures.
	Reason, Message string
	// Parked says how the DR object is held back until cutover ("" when it is not), such as
	// "spec.replicas=0 (source: 3)".
	Parked string
	// Desired and Live are kept only with Request.KeepObjects.
	Desired, Live *unstructured.Unstructured
}

// PruneBlock describes deletions the delete guard held back.
type PruneBlock struct {
	// WouldDelete is the number of deletions held back, Managed the mapping's managed objects
	// now, and Lost the objects it already lost within DeleteGuardWindow.
	WouldDelete, Managed, Lost int
}

// Result reports one sync.
type Result struct {
	Stats  drv1.SyncStats
	Failed []drv1.FailedResource
	// Unresolved lists resourceTypes entries the source cluster does not serve.
	Unresolved []string
	// DiscoveryIncomplete explains API groups of the source that could not be discovered: their
	// types were neither synced nor pruned in this run.
	DiscoveryIncomplete string
	// Actions has one entry per object that was considered.
	Actions          []Action
	DriftCorrections int
	PruneBlocked     *PruneBlock
	// Types is the number of resource types synced.
	Types    int
	Duration time.Duration
}

// OK reports a sync without failures or conflicts.
func (r *Result) OK() bool { return r.Stats.Failed == 0 && r.Stats.Conflicts == 0 }

func (r *Result) record(a Action) {
	switch a.Type {
	case ActionCreate:
		r.Stats.Created++
	case ActionUpdate:
		r.Stats.Updated++
		if a.Drift {
			r.DriftCorrections++
		}
	case ActionUnchanged:
		r.Stats.Unchanged++
	case ActionDelete:
		r.Stats.Deleted++
	case ActionConflict:
		r.Stats.Conflicts++
		r.fail(a, "Conflict")
	case ActionSkip:
		r.Stats.Skipped++
	case ActionFailed:
		r.Stats.Failed++
		r.fail(a, a.Reason)
	}
	if a.Type != ActionDelete && a.Name != "" {
		r.Stats.Total++
	}
	if a.Type != ActionFailed && strings.HasPrefix(a.Parked, "stashed") {
		r.Stats.Stashed++
	}
	if !keepObjects(a) {
		a.Desired, a.Live = nil, nil
	}
	r.Actions = append(r.Actions, a)
}

func keepObjects(a Action) bool { return a.Desired != nil || a.Live != nil }

func (r *Result) fail(a Action, reason string) {
	if len(r.Failed) >= drv1.MaxFailedResources {
		return
	}
	if reason == "" {
		reason = "Failed"
	}
	r.Failed = append(r.Failed, drv1.FailedResource{
		Group: a.GVK.Group, Kind: a.GVK.Kind, Name: a.Name, Reason: reason, Message: truncate(a.Message, 1024),
	})
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}

func transformFor(destNamespace, mappingID string) transform.Options {
	return transform.Options{DestNamespace: destNamespace, MappingID: mappingID}
}
