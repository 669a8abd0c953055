package ops

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/engine"
	"github.com/dr-syncer/dr-syncer/internal/transform"
)

// DrillNamespaceSuffix is appended to the DR namespace's name to name a drill's scratch
// namespace by default.
const DrillNamespaceSuffix = "-drill"

// DrillNamespaceName is the default scratch namespace of a drill of DR namespace drNS:
// <drNS>-drill or, when that is longer than a namespace name may be, drNS cut, a hash of all of
// drNS, and -drill (a plain cut could name the DR namespace itself, or another long DR
// namespace's drill).
func DrillNamespaceName(drNS string) string {
	name := drNS + DrillNamespaceSuffix
	if len(name) <= validation.DNS1123LabelMaxLength {
		return name
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(drNS))
	tag := fmt.Sprintf("-%08x", h.Sum32())
	return drNS[:validation.DNS1123LabelMaxLength-len(tag)-len(DrillNamespaceSuffix)] + tag + DrillNamespaceSuffix
}

// leftOverTimeout bounds the wait for the deletion of a scratch namespace left by an earlier
// drill: its Pods get their termination grace period (30 s by default) first.
const leftOverTimeout = 3 * time.Minute

// DrillOptions tune Drill.
type DrillOptions struct {
	// Namespace is the scratch namespace in the DR cluster; "" means DrillNamespaceName.
	Namespace string
	// Keep leaves the scratch namespace in place after the drill.
	Keep bool
	// Timeout bounds the wait for readiness; 0 means DefaultWaitTimeout.
	Timeout time.Duration
	// Out receives one line per step.
	Out io.Writer
	// Progress, when set, is called each time a workload's readiness or message changes.
	Progress func(Readiness)
}

// DrillReport is the outcome of a drill.
type DrillReport struct {
	// Namespace is the scratch namespace.
	Namespace string
	// Start is when the drill started; RTO the time from it until every workload was ready
	// (or until the drill gave up waiting).
	Start time.Time
	RTO   time.Duration
	// Ready tells whether every workload came up.
	Ready bool
	// Copied counts the objects created in the scratch namespace.
	Copied int
	// Workloads are the activated workloads, in the order created, with their readiness.
	Workloads []Readiness
	// Adapted lists what was changed or left out so that the drill clashes with neither the DR
	// namespace nor production.
	Adapted []string
	// Failed lists the objects that could not be created.
	Failed []string
	// Kept tells whether the scratch namespace was left in place.
	Kept bool
	// Recorded lists the NamespaceMappings whose status.lastDrill was written; NotRecorded why
	// it was not (the controller's cluster not known, or the write refused).
	Recorded    []string
	NotRecorded string
}

// drillObject is one DR copy to create in the scratch namespace.
type drillObject struct {
	t   engine.Type
	obj *unstructured.Unstructured
	// held is set for an object a stash Secret held: waited for as cutover --wait waits for it.
	held bool
}

// Drill rehearses a cutover of s's DR namespace without touching it: it copies the standby
// image (the objects dr-syncer wrote into the DR namespace, as they are there, parked) into a
// scratch namespace of the DR cluster, adapted so that nothing clashes with the DR namespace or
// production (adaptForDrill), activates the copies with cutover's activation (transform.Activate)
// as it creates them, waits until every workload is ready (WaitReady), and deletes the scratch
// namespace unless Keep. It reads only the DR cluster, writes only the scratch namespace (through
// the engine's gate) and, when the controller's cluster is known, status.lastDrill of the
// mappings. A drill that ran but did not come up is a report with Ready false, not an error.
func Drill(ctx context.Context, s *Scope, o DrillOptions) (rep *DrillReport, retErr error) {
	out := o.Out
	if out == nil {
		out = io.Discard
	}
	g := s.gate()
	g.DrillNamespace = o.Namespace
	if g.DrillNamespace == "" {
		g.DrillNamespace = DrillNamespaceName(s.DestNamespace)
	}
	rep = &DrillReport{Namespace: g.DrillNamespace, Start: time.Now()}
	drNS, err := getNamespace(ctx, s.Dest, s.DestNamespace)
	if err != nil {
		return rep, err
	}

	fmt.Fprintf(out, "[1/4] read the standby image in %s/%s\n", s.Dest.Name, s.DestNamespace)
	kinds, err := parkedKinds(ctx, s.Dest, s.DestNamespace, s.drSelector())
	if err != nil {
		return rep, err
	}
	objs, err := standbyImage(ctx, s)
	if err != nil {
		return rep, err
	}
	fmt.Fprintf(out, "  %d objects\n", len(objs))

	fmt.Fprintf(out, "[2/4] copy and activate them in %s/%s\n", s.Dest.Name, g.DrillNamespace)
	if err := createDrillNamespace(ctx, g, drNS.Labels, out); err != nil {
		return rep, err
	}
	defer func() {
		if o.Keep {
			rep.Kept = true
			fmt.Fprintf(out, "  kept namespace %s (--keep): delete it with kubectl delete namespace %s\n", g.DrillNamespace, g.DrillNamespace)
			return
		}
		// The drill's own context may be cancelled (Ctrl-C): the clean-up still runs.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if _, err := g.DeleteDrillNamespace(dctx); err != nil {
			retErr = errors.Join(retErr, fmt.Errorf("deleting the drill namespace %s: %w", g.DrillNamespace, err))
			return
		}
		fmt.Fprintf(out, "  namespace %s deleted\n", g.DrillNamespace)
	}()
	var ws []workload
	var heldRefs []WorkloadRef
	for _, d := range objs {
		copyObj, notes, skip := adaptForDrill(d.obj, s.DestNamespace, g.DrillNamespace)
		if skip != "" {
			rep.Adapted = append(rep.Adapted, skip)
			continue
		}
		rep.Adapted = append(rep.Adapted, notes...)
		k := parkedKindOf(kinds, d.t)
		if k != nil {
			active, _, err := transform.Activate(copyObj)
			if err != nil {
				rep.Failed = append(rep.Failed, fmt.Sprintf("%s %s: %v", d.t.GVK.Kind, d.obj.GetName(), err))
				continue
			}
			copyObj = active
		}
		created, err := g.CreateDrillObject(ctx, d.t.GVR, copyObj)
		if err != nil {
			if ctx.Err() != nil {
				return rep, ctx.Err()
			}
			rep.Failed = append(rep.Failed, fmt.Sprintf("%s %s: %v", d.t.GVK.Kind, d.obj.GetName(), err))
			continue
		}
		rep.Copied++
		switch {
		case d.held && d.t.GVK.GroupKind() != (schema.GroupKind{Group: "batch", Kind: "Job"}):
			// As unstashAll: every object created from a stash but Jobs, parked kind or not.
			heldRefs = append(heldRefs, WorkloadRef{GVR: d.t.GVR, Kind: d.t.GVK.Kind, Name: created.GetName()})
		case d.held:
		case k != nil:
			ws = append(ws, workload{kind: k, obj: created})
		}
	}
	fmt.Fprintf(out, "  %d objects created, %d workloads activated\n", rep.Copied, len(ws))
	for _, a := range rep.Adapted {
		fmt.Fprintf(out, "  adapted: %s\n", a)
	}
	for _, f := range rep.Failed {
		fmt.Fprintf(out, "  failed: %s\n", f)
	}

	refs := append(waitRefs(ws, nil), heldRefs...)
	fmt.Fprintf(out, "[3/4] wait for %d workloads to be ready\n", len(refs))
	states, werr := WaitReady(ctx, s.Dest, g.DrillNamespace, refs, WaitOptions{Start: rep.Start, Timeout: o.Timeout, Progress: o.Progress})
	rep.Workloads = states
	switch {
	case werr == nil:
		rep.RTO = 0
		for _, st := range states {
			rep.RTO = max(rep.RTO, st.After)
		}
		if len(states) == 0 {
			rep.RTO = time.Since(rep.Start)
		}
	case errors.Is(werr, ErrNotReady):
		rep.RTO = time.Since(rep.Start)
	default:
		return rep, werr
	}
	rep.Ready = werr == nil && len(rep.Failed) == 0

	fmt.Fprintf(out, "[4/4] record and clean up\n")
	recordDrill(ctx, s, rep)
	switch {
	case len(rep.Recorded) > 0:
		fmt.Fprintf(out, "  recorded on NamespaceMapping %s (status.lastDrill)\n", strings.Join(rep.Recorded, ", "))
	case rep.NotRecorded != "":
		fmt.Fprintf(out, "  not recorded: %s\n", rep.NotRecorded)
	}
	return rep, nil
}

// createDrillNamespace creates the scratch namespace with the DR namespace's labels (Pod
// Security admission levels, ...: the drill's Pods are admitted as DR's would be). One left by an earlier drill of the same
// DR namespace (kept, or interrupted) is deleted first, waiting up to leftOverTimeout until it is
// gone.
func createDrillNamespace(ctx context.Context, g *engine.Gate, labels map[string]string, out io.Writer) error {
	err := g.CreateDrillNamespace(ctx, labels)
	if !errors.Is(err, engine.ErrDrillNamespaceExists) {
		return err
	}
	fmt.Fprintf(out, "  namespace %s is left from an earlier drill: deleting it first\n", g.DrillNamespace)
	if _, err := g.DeleteDrillNamespace(ctx); err != nil {
		return err
	}
	err = wait.PollUntilContextTimeout(ctx, waitInterval, leftOverTimeout, true, func(ctx context.Context) (bool, error) {
		err := g.Dest.Client.Get(ctx, client.ObjectKey{Name: g.DrillNamespace}, &corev1.Namespace{})
		return apierrors.IsNotFound(err), nil
	})
	if err != nil {
		return fmt.Errorf("namespace %s of an earlier drill is still being deleted after %s (a namespace controller must run in cluster %s); try again later, or pass another --drill-namespace", g.DrillNamespace, leftOverTimeout, g.Dest.Name)
	}
	return g.CreateDrillNamespace(ctx, labels)
}

// standbyImage lists the objects dr-syncer wrote into the DR namespace (the copies of the
// scope's mappings, engine.OwnedByAny), of every type the DR cluster serves, in the order a
// sync applies them.
func standbyImage(ctx context.Context, s *Scope) ([]drillObject, error) {
	res, err := engine.ResolveTypes(s.Dest.Discovery, []string{"*", "jobs.batch", "replicasets.apps"}, nil)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", s.Dest.Name, err)
	}
	if res.Incomplete != nil {
		return nil, fmt.Errorf("cluster %s: some API groups could not be discovered, the drill would miss their objects: %w", s.Dest.Name, res.Incomplete)
	}
	sel := s.drSelector().String()
	var out []drillObject
	for _, t := range res.Types {
		opts := metav1.ListOptions{LabelSelector: sel, Limit: 500}
		for {
			l, err := s.Dest.Dynamic.Resource(t.GVR).Namespace(s.DestNamespace).List(ctx, opts)
			if apierrors.IsNotFound(err) || apierrors.IsMethodNotSupported(err) {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("listing %s in namespace %s of cluster %s: %w", t, s.DestNamespace, s.Dest.Name, err)
			}
			for i := range l.Items {
				obj := &l.Items[i]
				if !engine.OwnedByAny(obj, s.MappingIDs) {
					continue
				}
				if d, ok, err := unstashForDrill(s, res.Types, t, obj); ok || err != nil {
					if err != nil {
						return nil, err
					}
					out = append(out, d)
					continue
				}
				out = append(out, drillObject{t: t, obj: obj})
			}
			if opts.Continue = l.GetContinue(); opts.Continue == "" {
				break
			}
		}
	}
	slices.SortStableFunc(out, func(a, b drillObject) int { return engine.Phase(a.t) - engine.Phase(b.t) })
	return out, nil
}

// unstashForDrill returns, for a stash Secret, the object it holds: a drill rehearses the
// cutover, which creates stashed objects in place of their stash. ok is false for any other
// object.
func unstashForDrill(s *Scope, types []engine.Type, listed engine.Type, obj *unstructured.Unstructured) (drillObject, bool, error) {
	if t, _, _ := unstructured.NestedString(obj.Object, "type"); listed.GVK.GroupKind() != (schema.GroupKind{Kind: "Secret"}) || t != transform.StashSecretType {
		return drillObject{}, false, nil
	}
	held, err := transform.Unstash(obj)
	if err != nil {
		return drillObject{}, true, err
	}
	gvk := held.GroupVersionKind()
	for _, t := range types {
		if t.GVK.GroupKind() == gvk.GroupKind() {
			return drillObject{t: t, obj: held, held: true}, true, nil
		}
	}
	return drillObject{}, true, fmt.Errorf("stash %s holds %s, which cluster %s does not serve", obj.GetName(), gvk, s.Dest.Name)
}

// parkedKindOf is the parked kind of type t, nil for a kind that is never parked.
func parkedKindOf(kinds []workloadKind, t engine.Type) *workloadKind {
	for i := range kinds {
		if kinds[i].gvr.GroupResource() == t.GVR.GroupResource() {
			return &kinds[i]
		}
	}
	return nil
}

// LastDrill is the status.lastDrill of a drill report: RTO in whole seconds, rounded up.
func (r *DrillReport) LastDrill() drv1.DrillResult {
	return drv1.DrillResult{Time: metav1.NewTime(r.Start.UTC().Truncate(time.Second)), RTOSeconds: int64(math.Ceil(r.RTO.Seconds())), Ready: r.Ready}
}
