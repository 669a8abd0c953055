package engine

// The gate: every create, apply, patch and delete that dr-syncer sends to a cluster is made in
// this file, after the checks in this order: cluster identity (never the same cluster and
// namespace on both sides), the handle is current, ownership (Owns), the live fence
// (dr-syncer.io/live-since on the DR namespace) and, for prunes, the delete guard. Nothing else
// in the code base calls a write verb on a cluster's objects (see gate_structure_test.go).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"
	"k8s.io/client-go/util/retry"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/cluster"
	"github.com/dr-syncer/dr-syncer/internal/transform"
)

// ErrSameClusterAndNamespace: the source and the destination are one namespace of one cluster
// (compared by cluster identity, not by name or URL). Syncing would park production.
var ErrSameClusterAndNamespace = errors.New("source and destination are the same namespace of the same cluster")

// ErrNotOwned: the gate refused to change or delete an object the mapping does not own.
var ErrNotOwned = errors.New("not owned by this mapping")

// CheckIdentity refuses a source and destination that are one namespace of one cluster, however
// the two clusters are named or addressed. Errors reading an identity are returned as they are
// (the caller retries); a match is ErrSameClusterAndNamespace with a message naming both sides.
func CheckIdentity(ctx context.Context, src *cluster.Handle, srcNS string, dst *cluster.Handle, dstNS string) error {
	if srcNS != dstNS {
		return nil
	}
	a, err := src.ID(ctx)
	if err != nil {
		return err
	}
	b, err := dst.ID(ctx)
	if err != nil {
		return err
	}
	if a != b {
		return nil
	}
	return &sameClusterError{msg: fmt.Sprintf("source and destination are the same namespace %s of the same cluster: source %s/%s and destination %s/%s both reach cluster ID %s (the UID of namespace %s), however they are named or addressed",
		srcNS, src.Name, srcNS, dst.Name, dstNS, a, cluster.IdentityNamespace)}
}

// sameClusterError is ErrSameClusterAndNamespace with a message naming both sides.
type sameClusterError struct{ msg string }

func (e *sameClusterError) Error() string        { return e.msg }
func (e *sameClusterError) Is(target error) bool { return target == ErrSameClusterAndNamespace }

// IsSameClusterAndNamespace reports ErrSameClusterAndNamespace.
func IsSameClusterAndNamespace(err error) bool { return errors.Is(err, ErrSameClusterAndNamespace) }

func checkOpen(h *cluster.Handle) error {
	if h.Closed() {
		return fmt.Errorf("cluster %s: %w", h.Name, cluster.ErrClosed)
	}
	return nil
}

// --- the sync's writes (run) ---

func (r *run) resource(t Type) dynamic.ResourceInterface {
	return r.req.Dest.Dynamic.Resource(t.GVR).Namespace(r.req.Transform.DestNamespace)
}

// admitWrite is the gate for a write into the DR namespace: handle current, live fence, and
// ownership of the live object (nil for a create). adopt allows a live object that the mapping
// does not own but may adopt.
func (r *run) admitWrite(live *unstructured.Unstructured, adopt bool) error {
	if err := checkOpen(r.req.Dest); err != nil {
		return err
	}
	if r.live.Load() {
		return r.liveError()
	}
	if live == nil || Owns(live, r.req.Transform.MappingID) {
		return nil
	}
	if ok, why := adoptable(live, r.req.Transform.MappingID); adopt && ok {
		return nil
	} else if why != "" {
		return fmt.Errorf("%s %s: %w: %s", live.GetKind(), live.GetName(), ErrNotOwned, why)
	}
	return fmt.Errorf("%s %s: %w", live.GetKind(), live.GetName(), ErrNotOwned)
}

func (r *run) liveError() error {
	return fmt.Errorf("%w: namespace %q in cluster %s was brought live by cutover during this run; nothing more is written", ErrDestinationLive, r.req.Transform.DestNamespace, r.req.Dest.Name)
}

// apply server-side applies desired with dr-syncer's field manager, taking ownership of every
// field it sets (which reverts hand edits). live is the object it replaces (nil: none known).
func (r *run) apply(ctx context.Context, t Type, desired, live *unstructured.Unstructured, adopt, dryRun bool) (*unstructured.Unstructured, error) {
	if err := r.admitWrite(live, adopt); err != nil {
		return nil, err
	}
	opts := metav1.ApplyOptions{FieldManager: drv1.FieldManager, Force: true}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	return r.resource(t).Apply(ctx, desired.GetName(), desired, opts)
}

// create writes a new object with a plain create, the cheapest write an API server takes (a
// third cheaper than a server-side apply here; see docs/performance.md). Its fields are owned by
// dr-syncer as an Update manager until the first apply converts them (upgradeOwnership). An
// object that appeared meanwhile is not touched: the create fails and the next sync plans it.
func (r *run) create(ctx context.Context, t Type, desired *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	out, err := r.createObject(ctx, t, desired)
	if err == nil && !r.req.DryRun {
		r.req.Guard.Created(1)
	}
	return out, err
}

// createObject is create without counting a new copy for the delete guard (recreate replaces
// one). Never an apply: an object of that name that is not the mapping's makes it fail.
func (r *run) createObject(ctx context.Context, t Type, desired *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	if err := r.admitWrite(nil, false); err != nil {
		return nil, err
	}
	opts := metav1.CreateOptions{FieldManager: drv1.FieldManager}
	if r.req.DryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	return r.resource(t).Create(ctx, desired, opts)
}

// patchOwnership sends the managed-fields patch of upgradeOwnership.
func (r *run) patchOwnership(ctx context.Context, t Type, live *unstructured.Unstructured, patch []byte, adopt bool) error {
	if err := r.admitWrite(live, adopt); err != nil {
		return err
	}
	_, err := r.resource(t).Patch(ctx, live.GetName(), types.JSONPatchType, patch, metav1.PatchOptions{})
	return err
}

// deleteObject deletes exactly the object that was listed (UID precondition), if the mapping
// owns it and the DR namespace is not live. The delete guard is the caller's (prune, SyncObject);
// Recreate deletes to replace.
func (r *run) deleteObject(ctx context.Context, t Type, obj *unstructured.Unstructured) error {
	if err := r.admitWrite(obj, false); err != nil {
		return err
	}
	uid := obj.GetUID()
	bg := metav1.DeletePropagationBackground
	opts := metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}, PropagationPolicy: &bg}
	if r.req.DryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	err := r.resource(t).Delete(ctx, obj.GetName(), opts)
	if apierrors.IsNotFound(err) {
		err = nil
	}
	if err == nil && !r.req.DryRun {
		r.req.Applied.Forget(uid)
	}
	return err
}

// applyNamespace writes the DR namespace's metadata; force only when the mapping owns it.
func (r *run) applyNamespace(ctx context.Context, desired *unstructured.Unstructured, force bool) (*unstructured.Unstructured, error) {
	return r.applyClusterScoped(ctx, namespaceGVR, desired, force)
}

// applyCRD writes a CRD that dr-syncer owns in the destination (syncCRDs).
func (r *run) applyCRD(ctx context.Context, desired *unstructured.Unstructured) error {
	_, err := r.applyClusterScoped(ctx, crdGVR, desired, true)
	return err
}

func (r *run) applyClusterScoped(ctx context.Context, gvr schema.GroupVersionResource, desired *unstructured.Unstructured, force bool) (*unstructured.Unstructured, error) {
	if err := checkOpen(r.req.Dest); err != nil {
		return nil, err
	}
	opts := metav1.ApplyOptions{FieldManager: drv1.FieldManager, Force: force}
	if r.req.DryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	return r.req.Dest.Dynamic.Resource(gvr).Apply(ctx, desired.GetName(), desired, opts)
}

// patchPeak writes the peak annotation with a merge patch (never a server-side apply: an apply
// with this one field would drop the namespace metadata the same manager applied).
func (r *run) patchPeak(ctx context.Context, m peakMark) error {
	if err := checkOpen(r.req.Dest); err != nil {
		return err
	}
	if r.live.Load() {
		return r.liveError()
	}
	data, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{
		PeakAnnotationPrefix + r.req.Transform.MappingID: m.String()}}})
	if err != nil {
		return err
	}
	_, err = r.req.Dest.Dynamic.Resource(namespaceGVR).Patch(ctx, r.req.Transform.DestNamespace, types.MergePatchType, data,
		metav1.PatchOptions{FieldManager: drv1.FieldManager})
	return err
}

// fence watches the DR namespace for the rest of the run and stops every write the moment
// cutover marks it live (or it goes away). The run's writes check r.live; the watch costs one
// request per run and reconnects by itself.
func (r *run) fence(ctx context.Context, ns *unstructured.Unstructured) {
	if ns == nil || r.req.DryRun {
		return
	}
	name := ns.GetName()
	ri := r.req.Dest.Dynamic.Resource(namespaceGVR)
	w, err := watchtools.NewRetryWatcherWithContext(ctx, ns.GetResourceVersion(), &cache.ListWatch{
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.FieldSelector = fields.OneTermEqualSelector("metadata.name", name).String()
			return ri.Watch(ctx, o)
		},
	})
	if err != nil {
		return
	}
	go func() {
		defer w.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-w.ResultChan():
				if !ok {
					return
				}
				u, isObj := ev.Object.(*unstructured.Unstructured)
				if ev.Type == watch.Deleted || (isObj && u.GetAnnotations()[drv1.AnnotationLiveSince] != "") {
					r.live.Store(true)
				}
			}
		}
	}()
}

// --- cutover and failback (ops) ---

// Side is the cluster a workload write goes to.
type Side int

const (
	// SideDR: the object must be a copy owned by one of the scope's mappings.
	SideDR Side = iota
	// SideSource: a production object; allowed only once the two sides are known to be distinct.
	SideSource
)

// Gate admits the writes of cutover and failback for one scope: a source and a DR namespace.
// Build it with NewGate.
type Gate struct {
	Source, Dest                   *cluster.Handle
	SourceNamespace, DestNamespace string
	// MappingIDs are the mappings whose DR objects may be changed; empty means any mapping's.
	MappingIDs []string
	// DrillNamespace is the scratch namespace of a drill in the DR cluster ("" outside drills).
	DrillNamespace string
	// distinct is set once the identity check passed (both clusters answered).
	distinct atomic.Bool
	// drillUID is the UID of the drill namespace this gate created: objects go only there.
	drillUID atomic.Value
}

// NewGate checks the scope's identity when the source answers (srcReachable): the same cluster
// and namespace on both sides is ErrSameClusterAndNamespace. With the source down, only DR
// writes are admitted.
func NewGate(ctx context.Context, g *Gate, srcReachable bool) error {
	if !srcReachable {
		return nil
	}
	if err := CheckIdentity(ctx, g.Source, g.SourceNamespace, g.Dest, g.DestNamespace); err != nil {
		return err
	}
	g.distinct.Store(true)
	return nil
}

// PatchWorkload writes a cutover/failback change of a workload's parked state: on SideDR only to
// a copy the scope owns, on SideSource only when the sides are distinct clusters or namespaces.
func (g *Gate) PatchWorkload(ctx context.Context, side Side, gvr schema.GroupVersionResource, live *unstructured.Unstructured, pt types.PatchType, data []byte) error {
	h := g.Dest
	switch side {
	case SideDR:
		if !OwnedByAny(live, g.MappingIDs) {
			return fmt.Errorf("%s %s: %w (it needs label %s of the scope's mapping, annotation %s and no controller ownerReference)", live.GetKind(), live.GetName(), ErrNotOwned, drv1.LabelMapping, drv1.AnnotationSource)
		}
	case SideSource:
		if !g.distinct.Load() {
			return fmt.Errorf("%s %s: the source was not verified to be another cluster or namespace than DR; nothing is written to it", live.GetKind(), live.GetName())
		}
		h = g.Source
	}
	if err := checkOpen(h); err != nil {
		return err
	}
	_, err := h.Dynamic.Resource(gvr).Namespace(live.GetNamespace()).Patch(ctx, live.GetName(), pt, data,
		metav1.PatchOptions{FieldManager: drv1.FieldManager})
	return err
}

// CreateFromStash creates, at cutover, an object that a stash Secret held: only in the DR
// namespace, only an object of the scope's mappings (their label and a source annotation), and
// never over an object that exists (the create fails with AlreadyExists).
func (g *Gate) CreateFromStash(ctx context.Context, gvr schema.GroupVersionResource, obj *unstructured.Unstructured) error {
	if err := checkOpen(g.Dest); err != nil {
		return err
	}
	if obj.GetNamespace() != g.DestNamespace {
		return fmt.Errorf("%s %s: namespace %q is not the DR namespace %s", obj.GetKind(), obj.GetName(), obj.GetNamespace(), g.DestNamespace)
	}
	if !OwnedByAny(obj, g.MappingIDs) {
		return fmt.Errorf("%s %s: %w (a stash holds only copies of the scope's mappings)", obj.GetKind(), obj.GetName(), ErrNotOwned)
	}
	_, err := g.Dest.Dynamic.Resource(gvr).Namespace(obj.GetNamespace()).Create(ctx, obj, metav1.CreateOptions{FieldManager: drv1.FieldManager})
	return err
}

// Restash writes, at failback, the stash Secret of a live DR object, then deletes the object
// (the Secret first: the object is never lost). Both must be the scope's: the object a copy of
// its mappings in the DR namespace, the Secret a stash (type dr-syncer.io/stash) of the same
// mapping. The delete is guarded by the object's UID.
func (g *Gate) Restash(ctx context.Context, gvr schema.GroupVersionResource, live, stash *unstructured.Unstructured) error {
	if err := checkOpen(g.Dest); err != nil {
		return err
	}
	if live.GetNamespace() != g.DestNamespace || stash.GetNamespace() != g.DestNamespace {
		return fmt.Errorf("%s %s: not in the DR namespace %s", live.GetKind(), live.GetName(), g.DestNamespace)
	}
	if !OwnedByAny(live, g.MappingIDs) {
		return fmt.Errorf("%s %s: %w", live.GetKind(), live.GetName(), ErrNotOwned)
	}
	if t, _, _ := unstructured.NestedString(stash.Object, "type"); t != transform.StashSecretType || stash.GetKind() != "Secret" ||
		stash.GetLabels()[drv1.LabelMapping] != live.GetLabels()[drv1.LabelMapping] {
		return fmt.Errorf("Secret %s: not a stash of %s %s", stash.GetName(), live.GetKind(), live.GetName())
	}
	secrets := g.Dest.Dynamic.Resource(corev1.SchemeGroupVersion.WithResource("secrets")).Namespace(g.DestNamespace)
	if _, err := secrets.Apply(ctx, stash.GetName(), stash, metav1.ApplyOptions{FieldManager: drv1.FieldManager, Force: true}); err != nil {
		return fmt.Errorf("stashing %s %s: %w", live.GetKind(), live.GetName(), err)
	}
	uid := live.GetUID()
	err := g.Dest.Dynamic.Resource(gvr).Namespace(g.DestNamespace).Delete(ctx, live.GetName(), metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// SetLiveSince sets (value != "") or removes the live fence of the DR namespace, guarded by
// resourceVersion.
func (g *Gate) SetLiveSince(ctx context.Context, ns *corev1.Namespace, value string) error {
	if err := checkOpen(g.Dest); err != nil {
		return err
	}
	anns := map[string]any{drv1.AnnotationLiveSince: nil}
	if value != "" {
		anns[drv1.AnnotationLiveSince] = value
	}
	rv := ns.ResourceVersion
	// The namespace changes under the operation (the final sync records the delete guard's peak
	// on it): on a conflict, read it again and write once more.
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		patch := map[string]any{"metadata": map[string]any{"resourceVersion": rv, "annotations": anns}}
		data, err := json.Marshal(patch)
		if err != nil {
			return err
		}
		_, err = g.Dest.Dynamic.Resource(namespaceGVR).Patch(ctx, ns.Name, types.MergePatchType, data, metav1.PatchOptions{FieldManager: drv1.FieldManager})
		if apierrors.IsConflict(err) {
			fresh, gerr := g.Dest.Dynamic.Resource(namespaceGVR).Get(ctx, ns.Name, metav1.GetOptions{})
			if gerr != nil {
				return gerr
			}
			rv = fresh.GetResourceVersion()
		}
		return err
	})
}

// RecordEvent writes an Event about the DR namespace into it (events.k8s.io/v1), so the
// cluster that serves production after a cutover keeps the record even when the controller's
// cluster is gone.
func (g *Gate) RecordEvent(ctx context.Context, eventType, reason, action, note string) error {
	if err := checkOpen(g.Dest); err != nil {
		return err
	}
	// Regarding names the namespace inside itself, so the Event lives (and is listed) there.
	ev := NewEvent(g.DestNamespace, corev1.ObjectReference{APIVersion: "v1", Kind: "Namespace", Name: g.DestNamespace, Namespace: g.DestNamespace}, eventType, reason, action, note)
	return g.Dest.Client.Create(ctx, ev)
}

// NewEvent builds an events.k8s.io/v1 Event of the command line (reporting controller
// dr-syncer.io/cli) about regarding, in namespace. note is cut to the API's 1 KiB.
func NewEvent(namespace string, regarding corev1.ObjectReference, eventType, reason, action, note string) *eventsv1.Event {
	host, _ := os.Hostname()
	if host == "" {
		host = "unknown"
	}
	return &eventsv1.Event{
		ObjectMeta:          metav1.ObjectMeta{GenerateName: "dr-syncer-", Namespace: namespace},
		EventTime:           metav1.NowMicro(),
		ReportingController: "dr-syncer.io/cli",
		ReportingInstance:   truncate("dr-syncer-cli-"+host, 128),
		Action:              action,
		Reason:              reason,
		Regarding:           regarding,
		Note:                truncate(note, 1024),
		Type:                eventType,
	}
}

// --- drill (ops) ---

// ErrNotDrillNamespace: the drill's scratch namespace exists and is not one that dr-syncer
// created as the drill namespace of this DR namespace, or it names the DR or source namespace.
var ErrNotDrillNamespace = errors.New("not a drill namespace of this DR namespace")

// ErrDrillNamespaceExists: the scratch namespace is left over from an earlier drill of this DR
// namespace (kept with --keep, or interrupted); delete it (DeleteDrillNamespace) first.
var ErrDrillNamespaceExists = errors.New("drill namespace left over from an earlier drill")

// checkDrillName refuses a scratch namespace that is the DR or the source namespace.
func (g *Gate) checkDrillName() error {
	switch g.DrillNamespace {
	case "":
		return fmt.Errorf("%w: no drill namespace given", ErrNotDrillNamespace)
	case g.DestNamespace:
		return fmt.Errorf("%w: %s is the DR namespace itself; a drill never writes there", ErrNotDrillNamespace, g.DrillNamespace)
	case g.SourceNamespace:
		return fmt.Errorf("%w: %s is the source namespace's name; choose another --drill-namespace", ErrNotDrillNamespace, g.DrillNamespace)
	}
	return nil
}

// isDrillOf tells whether a namespace is a drill namespace of the DR namespace drNS: it carries
// the drill label of drNS, and nothing says dr-syncer syncs into it (the delete guard's peak
// annotation) or a cutover brought it live. A namespace where a mapping writes is never a
// drill's, whatever its labels (a label copied by hand, or forged, must not get it deleted).
func isDrillOf(ns *unstructured.Unstructured, drNS string) bool {
	for k := range ns.GetAnnotations() {
		if strings.HasPrefix(k, PeakAnnotationPrefix) || k == drv1.AnnotationLiveSince {
			return false
		}
	}
	return ns.GetLabels()[drv1.LabelDrillOf] == drNS
}

// CreateDrillNamespace creates the drill's scratch namespace in the DR cluster with labels (the
// DR namespace's own, so that admission treats the drill as it treats DR), labelled
// dr-syncer.io/drill-of=<DR namespace>. An existing namespace is never taken over: one left by an
// earlier drill of the same DR namespace is ErrDrillNamespaceExists, any other
// ErrNotDrillNamespace.
func (g *Gate) CreateDrillNamespace(ctx context.Context, labels map[string]string) error {
	if err := g.checkDrillName(); err != nil {
		return err
	}
	if err := checkOpen(g.Dest); err != nil {
		return err
	}
	ri := g.Dest.Dynamic.Resource(namespaceGVR)
	ns := &unstructured.Unstructured{}
	ns.SetAPIVersion("v1")
	ns.SetKind("Namespace")
	ns.SetName(g.DrillNamespace)
	all := map[string]string{}
	for k, v := range labels {
		if !strings.HasPrefix(k, drv1.GroupPrefix) && k != corev1.LabelMetadataName {
			all[k] = v
		}
	}
	all[drv1.LabelDrillOf] = g.DestNamespace
	ns.SetLabels(all)
	created, err := ri.Create(ctx, ns, metav1.CreateOptions{FieldManager: drv1.FieldManager})
	if apierrors.IsAlreadyExists(err) {
		live, gerr := ri.Get(ctx, g.DrillNamespace, metav1.GetOptions{})
		if gerr != nil {
			return gerr
		}
		if isDrillOf(live, g.DestNamespace) {
			return fmt.Errorf("%w: namespace %s in cluster %s", ErrDrillNamespaceExists, g.DrillNamespace, g.Dest.Name)
		}
		return fmt.Errorf("%w: namespace %s exists in cluster %s without label %s=%s, or dr-syncer syncs into it; choose another --drill-namespace", ErrNotDrillNamespace, g.DrillNamespace, g.Dest.Name, drv1.LabelDrillOf, g.DestNamespace)
	}
	if err != nil {
		return err
	}
	g.drillUID.Store(created.GetUID())
	return nil
}

// CreateDrillObject creates one object in the drill namespace that this gate created, and only
// there; the object must carry the drill label.
func (g *Gate) CreateDrillObject(ctx context.Context, gvr schema.GroupVersionResource, obj *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	if err := g.checkDrillName(); err != nil {
		return nil, err
	}
	if uid, _ := g.drillUID.Load().(types.UID); uid == "" {
		return nil, fmt.Errorf("%s %s: the drill namespace %s was not created by this drill; nothing is written", obj.GetKind(), obj.GetName(), g.DrillNamespace)
	}
	if obj.GetNamespace() != g.DrillNamespace || obj.GetLabels()[drv1.LabelDrillOf] != g.DestNamespace {
		return nil, fmt.Errorf("%s %s/%s: a drill writes only objects labelled %s=%s into namespace %s", obj.GetKind(), obj.GetNamespace(), obj.GetName(), drv1.LabelDrillOf, g.DestNamespace, g.DrillNamespace)
	}
	if err := checkOpen(g.Dest); err != nil {
		return nil, err
	}
	return g.Dest.Dynamic.Resource(gvr).Namespace(g.DrillNamespace).Create(ctx, obj, metav1.CreateOptions{FieldManager: drv1.FieldManager})
}

// DeleteDrillNamespace deletes the drill namespace (with everything in it) if it is a drill
// namespace of this DR namespace: labelled dr-syncer.io/drill-of=<DR namespace>, and not the DR
// or source namespace. The delete is bound to the UID read (a namespace recreated meanwhile is
// not deleted). It returns the UID deleted ("" when there was none).
func (g *Gate) DeleteDrillNamespace(ctx context.Context) (types.UID, error) {
	if err := g.checkDrillName(); err != nil {
		return "", err
	}
	if err := checkOpen(g.Dest); err != nil {
		return "", err
	}
	ri := g.Dest.Dynamic.Resource(namespaceGVR)
	live, err := ri.Get(ctx, g.DrillNamespace, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if !isDrillOf(live, g.DestNamespace) {
		return "", fmt.Errorf("%w: namespace %s in cluster %s has no label %s=%s, or dr-syncer syncs into it; not deleted", ErrNotDrillNamespace, g.DrillNamespace, g.Dest.Name, drv1.LabelDrillOf, g.DestNamespace)
	}
	uid := live.GetUID()
	err = ri.Delete(ctx, g.DrillNamespace, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
	if apierrors.IsNotFound(err) {
		err = nil
	}
	return uid, err
}
