package ops

import (
	"context"
	"fmt"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/cluster"
	"github.com/dr-syncer/dr-syncer/internal/engine"
	"github.com/dr-syncer/dr-syncer/internal/transform"
)

// workloadKind is a kind dr-syncer parks: in DR after every sync, in the source at cutover.
type workloadKind struct {
	gvr  schema.GroupVersionResource
	kind string
	// annotation records the value from before parking.
	annotation string
	// field holds the parked value, for messages.
	field []string
	// custom is set for a kind served by a CRD: a cluster without the CRD has none of it.
	custom bool
	// path is the specReplicasPath of a custom kind with a scale subresource; "" for the others.
	path string
}

// builtinKind is a built-in kind that transform parks by kind, in version v1.
func builtinKind(group, resource, kind string) workloadKind {
	annotation, field, _ := transform.Parked(schema.GroupKind{Group: group, Kind: kind})
	return workloadKind{gvr: schema.GroupVersionResource{Group: group, Version: "v1", Resource: resource}, kind: kind,
		annotation: annotation, field: field}
}

var workloadKinds = []workloadKind{
	builtinKind("apps", "deployments", "Deployment"),
	builtinKind("apps", "statefulsets", "StatefulSet"),
	builtinKind("apps", "replicasets", "ReplicaSet"),
	builtinKind("", "replicationcontrollers", "ReplicationController"),
	builtinKind("apps", "daemonsets", "DaemonSet"),
	builtinKind("batch", "cronjobs", "CronJob"),
	builtinKind("batch", "jobs", "Job"),
}

// ownedOnly keeps the DR workloads that are copies of the scope's mappings (engine.OwnedByAny):
// an object that merely carries the mapping label (an operator's) is never parked or activated.
func ownedOnly(ws []workload, ids []string) []workload {
	out := ws[:0:0]
	for _, w := range ws {
		if engine.OwnedByAny(w.obj, ids) {
			out = append(out, w)
		}
	}
	return out
}

// workload is one listed object of a parked kind.
type workload struct {
	kind *workloadKind
	obj  *unstructured.Unstructured
}

func (w workload) key() string {
	if w.kind.custom {
		return w.kind.kind + "." + w.kind.gvr.Group + "/" + w.obj.GetName()
	}
	return w.kind.kind + "/" + w.obj.GetName()
}

// recorded returns the original a parked object records: in its kind's annotation, or in the
// fields a ParkingRule (or parkNetworking) recorded.
func (w workload) recorded() (string, bool) {
	if v, ok := w.obj.GetAnnotations()[drv1.AnnotationOriginalFields]; ok {
		return v, true
	}
	v, ok := w.obj.GetAnnotations()[w.kind.annotation]
	return v, ok
}

// listWorkloads lists every object of the parked kinds in one namespace, by kind then name.
// Objects with a controller ownerReference (a Deployment's ReplicaSets) are left out: their
// owner is parked and activated, and they are never copied.
// A custom kind the cluster does not serve has no objects there.
func listWorkloads(ctx context.Context, h *cluster.Handle, ns string, sel labels.Selector, kinds []workloadKind) ([]workload, error) {
	var out []workload
	for i := range kinds {
		ws, err := listKind(ctx, h, ns, sel, &kinds[i])
		if err != nil {
			return nil, err
		}
		out = append(out, ws...)
	}
	sortWorkloads(out)
	return out, nil
}

// listSourceWorkloads lists every object of the parked kinds in the source namespace, kind by
// kind. A kind it cannot list is returned in failed, with the reason: its source objects cannot
// be parked, so cutover must not activate their DR copies. A custom kind that the source serves,
// but not in the version the DR cluster's CRD is listed in, is such a kind too.
func listSourceWorkloads(ctx context.Context, h *cluster.Handle, ns string, kinds []workloadKind) (out []workload, failed map[*workloadKind]error) {
	failed = map[*workloadKind]error{}
	for i := range kinds {
		k := &kinds[i]
		ws, err := listKind(ctx, h, ns, labels.Everything(), k)
		if err == nil && len(ws) == 0 && k.custom {
			if m, merr := h.Mapper.RESTMapping(schema.GroupKind{Group: k.gvr.Group, Kind: k.kind}); merr == nil && m.Resource.Version != k.gvr.Version {
				err = fmt.Errorf("cluster %s serves %s.%s in version %s, not in version %s of the DR cluster's CRD", h.Name, k.gvr.Resource, k.gvr.Group, m.Resource.Version, k.gvr.Version)
			}
		}
		if err != nil {
			failed[k] = err
			continue
		}
		out = append(out, ws...)
	}
	sortWorkloads(out)
	return out, failed
}

// listKind lists the objects of one parked kind in a namespace, without those a controller
// owns; a custom kind the cluster does not serve has none.
func listKind(ctx context.Context, h *cluster.Handle, ns string, sel labels.Selector, k *workloadKind) ([]workload, error) {
	var out []workload
	opts := metav1.ListOptions{LabelSelector: sel.String(), Limit: 500}
	for {
		l, err := h.Dynamic.Resource(k.gvr).Namespace(ns).List(ctx, opts)
		if k.custom && apierrors.IsNotFound(err) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("listing %s in namespace %s of cluster %s: %w", k.gvr.Resource, ns, h.Name, err)
		}
		for j := range l.Items {
			if metav1.GetControllerOfNoCopy(&l.Items[j]) == nil {
				out = append(out, workload{kind: k, obj: &l.Items[j]})
			}
		}
		if opts.Continue = l.GetContinue(); opts.Continue == "" {
			return out, nil
		}
	}
}

// sortWorkloads orders workloads by kind, then name.
func sortWorkloads(out []workload) {
	slices.SortStableFunc(out, func(a, b workload) int { return strings.Compare(a.obj.GetName(), b.obj.GetName()) })
	slices.SortStableFunc(out, func(a, b workload) int { return strings.Compare(a.kind.kind, b.kind.kind) })
}

// changeFunc computes the wanted state of a live object; changed=false means nothing to write.
type changeFunc func(live *unstructured.Unstructured) (want *unstructured.Unstructured, changed bool, err error)

// changeWorkload applies fn to w and writes the difference as a JSON merge patch (field manager
// dr-syncer, guarded by resourceVersion) through the engine's gate, re-reading and retrying on
// write conflicts. It returns a description of the change, or "" when there was nothing to do.
func changeWorkload(ctx context.Context, g *engine.Gate, side engine.Side, w workload, fn changeFunc, dryRun bool) (string, error) {
	h := g.Dest
	if side == engine.SideSource {
		h = g.Source
	}
	live := w.obj
	var desc string
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		want, changed, err := fn(live)
		if err != nil || !changed {
			desc = ""
			return err
		}
		desc = fmt.Sprintf("%s %s: %s → %s", w.kind.kind, live.GetName(), w.kind.state(live), w.kind.state(want))
		if dryRun {
			return nil
		}
		patch := client.MergeFromWithOptions(live, client.MergeFromWithOptimisticLock{})
		data, err := patch.Data(want)
		if err != nil {
			return err
		}
		err = g.PatchWorkload(ctx, side, w.kind.gvr, live, patch.Type(), data)
		if apierrors.IsConflict(err) {
			fresh, gerr := h.Dynamic.Resource(w.kind.gvr).Namespace(live.GetNamespace()).Get(ctx, live.GetName(), metav1.GetOptions{})
			if gerr != nil {
				return gerr
			}
			live = fresh
		}
		return err
	})
	if err != nil {
		return "", fmt.Errorf("%s %s/%s in cluster %s: %w", w.kind.kind, w.obj.GetNamespace(), w.obj.GetName(), h.Name, err)
	}
	return desc, nil
}

// state renders the parked field of obj for messages: "replicas=3", "suspend=true".
func (k *workloadKind) state(obj *unstructured.Unstructured) string {
	if desc, ok := transform.RecordedFields(obj); ok {
		return "{" + desc + "}"
	}
	if len(k.field) == 0 {
		return "unparked"
	}
	name := k.field[len(k.field)-1]
	v, found, _ := unstructured.NestedFieldNoCopy(obj.Object, k.field...)
	switch {
	case !found && name == "runStrategy":
		if running, ok, _ := unstructured.NestedBool(obj.Object, "spec", "running"); ok {
			return fmt.Sprintf("running=%v", running)
		}
		return "runStrategy=unset"
	case !found && name == "nodeSelector":
		return "nodeSelector={}"
	case !found && (k.path != "" || k.field[0] == "metadata"):
		return name + "=unset"
	case !found && name == "replicas":
		return "replicas=1"
	case !found:
		return name + "=false"
	}
	if m, ok := v.(map[string]any); ok {
		keys := make([]string, 0, len(m))
		for key, val := range m {
			keys = append(keys, fmt.Sprintf("%s=%v", key, val))
		}
		slices.Sort(keys)
		return name + "={" + strings.Join(keys, ",") + "}"
	}
	return fmt.Sprintf("%s=%v", name, v)
}
