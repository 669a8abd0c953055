package ops

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"

	"github.com/dr-syncer/dr-syncer/internal/cluster"
	"github.com/dr-syncer/dr-syncer/internal/transform"
)

// DefaultWaitTimeout bounds the wait for readiness of cutover --wait and drill.
const DefaultWaitTimeout = 10 * time.Minute

// waitInterval is how often the workloads are read while waiting: the measured times to ready
// are this precise.
const waitInterval = 250 * time.Millisecond

// listFrom is the number of workloads of one kind still to wait for from which the wait lists
// the kind rather than reading each.
const listFrom = 4

// ErrNotReady: some workloads were not ready when the wait timed out.
var ErrNotReady = errors.New("not every workload is ready")

// WorkloadRef names one workload to wait for.
type WorkloadRef struct {
	GVR  schema.GroupVersionResource
	Kind string
	Name string
	// Scale is set for a custom resource with a scale subresource: kstatus calls one without
	// conditions current at once, so its scale's replica counts are read as well.
	Scale bool
}

// Readiness is the state of one workload while or after waiting.
type Readiness struct {
	Kind  string `json:"kind"`
	Name  string `json:"name"`
	Ready bool   `json:"ready"`
	// After is the time from the start of the operation until the workload was first seen
	// ready (zero while it is not).
	After time.Duration `json:"-"`
	// Message is kstatus' summary and, while not ready, the workload's own condition messages.
	Message string `json:"message"`
}

// WaitOptions tune WaitReady.
type WaitOptions struct {
	// Start is when the operation started: times to ready count from it.
	Start time.Time
	// Timeout bounds the wait; 0 means DefaultWaitTimeout.
	Timeout time.Duration
	// Progress, when set, is called each time a workload's readiness or message changes.
	Progress func(Readiness)
}

// WaitReady reads the workloads refs of namespace ns in h (four times a second; a kind with many
// of them by one list) until every one is ready as kstatus computes it (status Current), or the timeout
// passes. It returns the last state of each, in the order of refs, and ErrNotReady (wrapped)
// when some are not ready at the timeout. A workload that is ready once counts as ready: its
// time to ready is the recovery time, and a later wobble (a Pod restarted) does not undo it.
func WaitReady(ctx context.Context, h *cluster.Handle, ns string, refs []WorkloadRef, o WaitOptions) ([]Readiness, error) {
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = DefaultWaitTimeout
	}
	start := o.Start
	if start.IsZero() {
		start = time.Now()
	}
	states := make([]Readiness, len(refs))
	for i, r := range refs {
		states[i] = Readiness{Kind: r.Kind, Name: r.Name, Message: "not read yet"}
	}
	seen := make([]bool, len(refs)) // read at least once
	poll := func(ctx context.Context) (bool, error) {
		// A kind with many workloads to wait for is listed once per round, not read once per
		// workload: the DR API server is read four times a second for as long as the wait lasts,
		// during a disaster. A kind with few is read object by object (its list may be long).
		pending := map[schema.GroupVersionResource]int{}
		for i, r := range refs {
			if !states[i].Ready {
				pending[r.GVR]++
			}
		}
		listed := map[schema.GroupVersionResource]map[string]*unstructured.Unstructured{}
		listErr := map[schema.GroupVersionResource]error{}
		for gvr, n := range pending {
			if n < listFrom {
				continue
			}
			l, err := h.Dynamic.Resource(gvr).Namespace(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				if ctx.Err() != nil {
					return false, nil
				}
				listErr[gvr] = err
				continue
			}
			byName := make(map[string]*unstructured.Unstructured, len(l.Items))
			for j := range l.Items {
				byName[l.Items[j].GetName()] = &l.Items[j]
			}
			listed[gvr] = byName
		}
		all := true
		for i, r := range refs {
			if states[i].Ready {
				continue
			}
			next := states[i]
			var u *unstructured.Unstructured
			var err error
			if byName, ok := listed[r.GVR]; ok {
				if u = byName[r.Name]; u == nil {
					err = apierrors.NewNotFound(r.GVR.GroupResource(), r.Name)
				}
			} else if err = listErr[r.GVR]; err == nil {
				u, err = h.Dynamic.Resource(r.GVR).Namespace(ns).Get(ctx, r.Name, metav1.GetOptions{})
			}
			switch {
			case apierrors.IsNotFound(err):
				next.Message = "not found"
			case err != nil:
				if ctx.Err() != nil {
					return false, nil
				}
				if seen[i] {
					// A read refused (a client-side rate limit near the timeout, a blip) keeps
					// the reason last read: the report at the timeout must say why it is not ready.
					all = false
					continue
				}
				next.Message = fmt.Sprintf("cannot read it: %v", err)
			default:
				seen[i] = true
				next.Ready, next.Message = workloadReadiness(u)
				if next.Ready && r.Scale {
					sc, err := h.Dynamic.Resource(r.GVR).Namespace(ns).Get(ctx, r.Name, metav1.GetOptions{}, "scale")
					if err != nil {
						if ctx.Err() != nil {
							return false, nil
						}
						next.Ready, next.Message = false, fmt.Sprintf("cannot read its scale subresource: %v", err)
					} else {
						next.Ready, next.Message = scaleReadiness(sc, next.Message)
					}
				}
			}
			if next.Ready {
				next.After = time.Since(start)
			}
			if next != states[i] && o.Progress != nil {
				o.Progress(next)
			}
			states[i] = next
			all = all && next.Ready
		}
		return all, nil
	}
	err := wait.PollUntilContextTimeout(ctx, waitInterval, timeout, true, poll)
	if err != nil {
		if ctx.Err() != nil { // cancelled by the caller (Ctrl-C), not timed out
			return states, ctx.Err()
		}
		return states, fmt.Errorf("%w within %s: %s", ErrNotReady, timeout, notReadyList(states))
	}
	return states, nil
}

// notReadyList names the workloads that are not ready, with why.
func notReadyList(states []Readiness) string {
	var out []string
	for _, s := range states {
		if !s.Ready {
			out = append(out, fmt.Sprintf("%s %s (%s)", s.Kind, s.Name, s.Message))
		}
	}
	return strings.Join(out, "; ")
}

// workloadReadiness computes whether a workload is ready with kstatus (status Current) and a
// message: kstatus' own, followed while not ready by the messages of the workload's conditions
// that report a problem (Available=False, ReplicaFailure=True, ...). kstatus has no rules for
// ReplicationControllers (it would call one current at once, with no Pod ready): its status has
// the fields of a ReplicaSet's, so it is computed by the
// ReplicaSet rules. kstatus calls a StatefulSet with updateStrategy OnDelete current at once,
// whatever its Pods (it leaves rollouts to the user): one is judged by kstatus' rules for a
// partitioned rollout whose partition covers every replica, that is by its replica counts only
// (OnDelete keeps Pods of an older revision, so the revisions are not compared).
func workloadReadiness(u *unstructured.Unstructured) (bool, string) {
	obj := u
	gk := u.GroupVersionKind().GroupKind()
	onDelete := false
	switch {
	case gk == (schema.GroupKind{Kind: "ReplicationController"}):
		obj = u.DeepCopy()
		obj.SetAPIVersion("apps/v1")
		obj.SetKind("ReplicaSet")
	case gk == (schema.GroupKind{Group: "apps", Kind: "StatefulSet"}):
		if typ, _, _ := unstructured.NestedString(u.Object, "spec", "updateStrategy", "type"); typ == "OnDelete" {
			onDelete = true
			obj = u.DeepCopy()
			replicas, found, _ := unstructured.NestedInt64(u.Object, "spec", "replicas")
			if !found {
				replicas = 1
			}
			_ = unstructured.SetNestedMap(obj.Object, map[string]any{"type": "RollingUpdate",
				"rollingUpdate": map[string]any{"partition": replicas}}, "spec", "updateStrategy")
		}
	}
	res, err := status.Compute(obj)
	if err != nil {
		return false, fmt.Sprintf("status not computable: %v", err)
	}
	if gk.Kind == "ReplicationController" {
		res.Message = strings.ReplaceAll(res.Message, "ReplicaSet", u.GetKind())
	}
	if res.Status == status.CurrentStatus {
		if onDelete {
			ready, _, _ := unstructured.NestedInt64(u.Object, "status", "readyReplicas")
			res.Message = fmt.Sprintf("Ready: %d/%d (updateStrategy OnDelete)", ready, ready)
		}
		return true, res.Message
	}
	msg := string(res.Status) + ": " + res.Message
	if extra := problemConditions(u); extra != "" {
		msg += "; " + extra
	}
	// A paused Deployment (paused in production, copied as it is) never rolls out; its
	// controller says so only in a condition of status Unknown.
	if paused, _, _ := unstructured.NestedBool(u.Object, "spec", "paused"); paused && gk == (schema.GroupKind{Group: "apps", Kind: "Deployment"}) {
		msg += "; spec.paused is true: the Deployment creates no Pods until it is resumed (kubectl rollout resume)"
	}
	return false, msg
}

// scaleReadiness adds to kstatus' verdict msg on a custom resource the replica counts of its scale
// subresource (autoscaling/v1 Scale): fewer replicas in its status than in its spec is not ready.
func scaleReadiness(sc *unstructured.Unstructured, msg string) (bool, string) {
	want, _, _ := unstructured.NestedInt64(sc.Object, "spec", "replicas")
	have, _, _ := unstructured.NestedInt64(sc.Object, "status", "replicas")
	if have < want {
		return false, fmt.Sprintf("InProgress: scale subresource: Replicas: %d/%d", have, want)
	}
	return true, fmt.Sprintf("%s; scale subresource: Replicas: %d/%d", msg, have, want)
}

// problemConditions joins the messages of a workload's conditions that report a problem: a
// positive condition (Available, Ready, Progressing, Complete) that is False, or a negative one
// (ReplicaFailure, Failed, Stalled) that is True.
func problemConditions(u *unstructured.Unstructured) string {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	var out []string
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if !ok {
			continue
		}
		typ, _ := m["type"].(string)
		st, _ := m["status"].(string)
		msg, _ := m["message"].(string)
		if msg == "" {
			msg, _ = m["reason"].(string)
		}
		positive := slices.Contains([]string{"Available", "Ready", "Progressing", "Complete"}, typ)
		negative := slices.Contains([]string{"ReplicaFailure", "Failed", "Stalled"}, typ)
		if msg != "" && ((positive && st == "False") || (negative && st == "True")) {
			out = append(out, typ+": "+msg)
		}
	}
	return strings.Join(out, "; ")
}

// waitRefs lists the workloads of ws to wait for once activated, except those in skip (by key):
// all but Jobs that stay suspended when activated (a Job whose source had finished is not
// resumed: it never starts).
func waitRefs(ws []workload, skip map[string]bool) []WorkloadRef {
	var out []WorkloadRef
	for _, w := range ws {
		if skip[w.key()] {
			continue
		}
		if w.kind.kind == "Job" {
			active, _, err := transform.Activate(w.obj)
			if err != nil {
				active = w.obj
			}
			if suspended, _, _ := unstructured.NestedBool(active.Object, "spec", "suspend"); suspended {
				continue
			}
		}
		out = append(out, WorkloadRef{GVR: w.kind.gvr, Kind: w.kind.kind, Name: w.obj.GetName(), Scale: w.kind.custom && w.kind.path != ""})
	}
	return out
}
