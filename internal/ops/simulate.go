package ops

import (
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/dr-syncer/dr-syncer/internal/cluster"
	"github.com/dr-syncer/dr-syncer/internal/engine"
)

// simulated is what a dry run's sync would have left behind: the workloads it would create or
// update (as the API server's dry run returned them) and those it would delete (nil), keyed by
// cluster/namespace/Kind/name. Later steps of the same dry run see them instead of the live
// objects, so that a dry run previews the changes the real run makes after the sync wrote.
type simulated map[string]*unstructured.Unstructured

func simKey(h *cluster.Handle, ns, kind, name string) string {
	return h.Name + "/" + ns + "/" + kind + "/" + name
}

// record notes the workloads a dry-run sync into h's namespace ns would write or delete; res
// must come from a request with KeepObjects.
func (sim simulated) record(h *cluster.Handle, ns string, res *engine.Result) {
	for _, a := range res.Actions {
		k := parkedKind(a.GVK.Group, a.GVK.Kind)
		if k == nil {
			continue
		}
		switch {
		case a.Type == engine.ActionDelete:
			sim[simKey(h, ns, k.kind, a.Name)] = nil
		case (a.Type == engine.ActionCreate || a.Type == engine.ActionUpdate) && a.Desired != nil:
			sim[simKey(h, ns, k.kind, a.Name)] = a.Desired
		}
	}
}

// apply returns ws (listed from h's namespace ns with sel) as the simulated sync would have left
// it: written objects replaced or added, deleted ones dropped, in listWorkloads' order.
func (sim simulated) apply(h *cluster.Handle, ns string, sel labels.Selector, ws []workload) []workload {
	if len(sim) == 0 {
		return ws
	}
	seen := map[string]bool{}
	out := ws[:0:0]
	for _, w := range ws {
		key := simKey(h, ns, w.kind.kind, w.obj.GetName())
		seen[key] = true
		obj, ok := sim[key]
		switch {
		case !ok:
			out = append(out, w)
		case obj != nil:
			out = append(out, workload{kind: w.kind, obj: obj})
		}
	}
	prefix := h.Name + "/" + ns + "/"
	for key, obj := range sim {
		if obj == nil || seen[key] || !strings.HasPrefix(key, prefix) || !sel.Matches(labels.Set(obj.GetLabels())) {
			continue
		}
		if k := parkedKind(obj.GroupVersionKind().Group, obj.GetKind()); k != nil {
			out = append(out, workload{kind: k, obj: obj})
		}
	}
	slices.SortStableFunc(out, func(a, b workload) int { return strings.Compare(a.obj.GetName(), b.obj.GetName()) })
	slices.SortStableFunc(out, func(a, b workload) int { return strings.Compare(a.kind.kind, b.kind.kind) })
	return out
}

// parkedKind returns the parked kind of group and kind, or nil.
func parkedKind(group, kind string) *workloadKind {
	for i := range workloadKinds {
		if k := &workloadKinds[i]; k.gvr.Group == group && k.kind == kind {
			return k
		}
	}
	return nil
}
