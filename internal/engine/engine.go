package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/cluster"
	"github.com/dr-syncer/dr-syncer/internal/transform"
)

// DefaultWorkers bounds parallel writes per sync.
const DefaultWorkers = 16

// listWorkers bounds parallel list calls (per type) on each cluster.
const listWorkers = 4

// run is the state of one sync.
type run struct {
	req        Request
	destExists bool

	// live is set when the DR namespace is marked live during the run (see fence).
	live atomic.Bool
	// destNS is the DR namespace as last read or written (nil: it does not exist yet).
	destNS *unstructured.Unstructured

	mu  sync.Mutex
	res *Result

	// stashes are the DR namespace's stash Secrets, listed once per run (stashOnce).
	stashOnce sync.Once
	stashes   []unstructured.Unstructured
	stashErr  error
}

func (r *run) record(a Action) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.res.record(a)
	if r.req.OnAction != nil {
		r.req.OnAction(a)
	}
}

// note lists an action without counting it in the stats.
func (r *run) note(a Action) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.res.Actions = append(r.res.Actions, a)
}

// typeState is what the list stage learned about one type.
type typeState struct {
	t Type
	// selected names the source objects that should exist in the destination (transformed or not).
	selected map[string]bool
	desired  []*unstructured.Unstructured
	live     map[string]*unstructured.Unstructured
	// listed is false when either side's list failed: nothing of the type may be pruned.
	listed bool
	// counted is true when the destination list succeeded (live holds the type's copies), even
	// if the source list failed: the delete guard counts them as managed.
	counted bool
	// stash, for a kind a ParkingRule stashes, is the state of its stash Secrets: the desired
	// ones, and those in DR. The kind's own state then selects nothing: a copy of it in the DR
	// namespace is pruned.
	stash *typeState
}

// Sync runs one full sync of a namespace. It returns an error only when the sync as a whole
// could not run (source namespace missing, a cluster unreachable, discovery failed); failures of
// single objects and types are in the result.
func Sync(ctx context.Context, req Request) (*Result, error) {
	start := time.Now()
	if req.Workers <= 0 {
		req.Workers = DefaultWorkers
	}
	r := &run{req: req, res: &Result{}}
	defer func() { r.res.Duration = time.Since(start) }()

	if err := CheckIdentity(ctx, req.Source, req.Transform.SourceNamespace, req.Dest, req.Transform.DestNamespace); err != nil {
		return r.res, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the fence watch
	req.Source.Invalidate()
	res, err := ResolveTypes(req.Source.Discovery, req.ResourceTypes, req.ExcludeResourceTypes)
	if err != nil {
		return r.res, fmt.Errorf("source cluster %s: %w", req.Source.Name, err)
	}
	r.res.Unresolved = res.Unresolved
	if res.Incomplete != nil {
		r.res.DiscoveryIncomplete = res.Incomplete.Error()
	}

	if r.destExists, err = r.ensureNamespaces(ctx); err != nil {
		return r.res, err
	}
	if req.SyncCRDs {
		r.syncCRDs(ctx, res.Types)
	} else {
		req.Dest.Invalidate()
	}
	types := r.scalePaths(ctx, r.servedInDest(ctx, res.Types))
	r.res.Types = len(types)

	states := make([]*typeState, len(types))
	parallel(ctx, listWorkers, len(types), func(i int) { states[i] = r.list(ctx, types[i]) })
	if err := ctx.Err(); err != nil {
		return r.res, err
	}
	for _, st := range states {
		if st.stash != nil {
			states = append(states, st.stash)
		}
	}

	byPhase := make([][]item, numPhases)
	objects := 0
	for _, st := range states {
		for _, d := range st.desired {
			p := phase(st.t)
			byPhase[p] = append(byPhase[p], item{t: st.t, desired: d, live: st.live[d.GetName()]})
			objects++
		}
	}
	if req.OnListed != nil {
		r.mu.Lock()
		req.OnListed(objects)
		r.mu.Unlock()
	}
	for _, items := range byPhase {
		parallel(ctx, req.Workers, len(items), func(i int) {
			r.record(r.execute(ctx, r.plan(ctx, items[i].t, items[i].desired, items[i].live)))
		})
	}
	if err := ctx.Err(); err != nil {
		return r.res, err
	}
	if req.Prune {
		r.prune(ctx, states)
	}
	return r.res, ctx.Err()
}

// servedInDest keeps the types the destination serves. A type it does not serve is reported,
// per type, only when the source namespace holds objects of it that would be synced: a CRD
// installed in production but unused in this namespace is no gap in DR.
func (r *run) servedInDest(ctx context.Context, types []Type) []Type {
	out := types[:0:0]
	for _, t := range types {
		err := destServes(r.req.Dest, t)
		if err == nil {
			out = append(out, t)
			continue
		}
		msg := err.Error()
		if meta.IsNoMatchError(err) {
			n, lerr := r.countSelected(ctx, t)
			if lerr == nil && n == 0 {
				continue
			}
			msg = fmt.Sprintf("the destination cluster does not serve %s (%s), and the source namespace has %d objects of it: install its CRD in the destination, set syncCRDs: true, or exclude the type",
				t, t.GVK.GroupVersion(), n)
		}
		r.record(Action{GVK: t.GVK, Type: ActionFailed, Reason: "TypeNotServed", Message: msg})
	}
	return out
}

// destServes tells whether the destination serves a type (nil) or why not.
func destServes(dest *cluster.Handle, t Type) error {
	_, err := dest.Mapper.RESTMapping(t.GVK.GroupKind(), t.GVK.Version)
	return err
}

// countSelected counts the source objects of one type a sync would copy.
func (r *run) countSelected(ctx context.Context, t Type) (int, error) {
	objs, err := listAll(ctx, r.req.Source.Dynamic.Resource(t.GVR).Namespace(r.req.Transform.SourceNamespace), r.selector())
	if err != nil {
		return 0, err
	}
	n := 0
	for i := range objs {
		if transform.SkipReason(&objs[i], r.req.Transform) == "" {
			n++
		}
	}
	return n, nil
}

func (r *run) selector() string {
	if r.req.Selector == nil {
		return ""
	}
	return r.req.Selector.String()
}

// list reads one type on both sides, then selects and transforms the source objects.
func (r *run) list(ctx context.Context, t Type) *typeState {
	st := &typeState{t: t, selected: map[string]bool{}, live: map[string]*unstructured.Unstructured{}}
	src, srcErr := listAll(ctx, r.req.Source.Dynamic.Resource(t.GVR).Namespace(r.req.Transform.SourceNamespace), r.selector())
	if srcErr != nil {
		r.record(Action{GVK: t.GVK, Type: ActionFailed, Reason: "ListFailed", Message: fmt.Sprintf("listing %s in the source: %v", t, srcErr)})
	}
	// The destination is listed even when the source list failed: its copies still count as
	// the mapping's managed objects for the delete guard, though none of them is pruned.
	if r.destExists {
		dst, err := listAll(ctx, r.resource(t), "")
		if err != nil {
			r.record(Action{GVK: t.GVK, Type: ActionFailed, Reason: "ListFailed", Message: fmt.Sprintf("listing %s in the destination: %v", t, err)})
			return st
		}
		for i := range dst {
			if transform.IsStash(&dst[i]) {
				continue // the stash of another kind's object: its state is that kind's
			}
			st.live[dst[i].GetName()] = &dst[i]
		}
	}
	st.counted = true
	stashed := transform.Stashed(t.GVK.GroupKind(), r.req.Transform)
	if stashed {
		if st.stash = r.listStash(ctx, t, true); st.stash == nil {
			return st // neither the kind's copies nor its stash can be pruned
		}
	} else if left := r.listStash(ctx, t, false); left != nil && len(left.live) > 0 {
		// A kind no longer stashed (its rule gone) has its stash Secrets pruned like copies
		// that select nothing: left behind, a cutover would create an object production
		// deleted since. (Stash Secrets that cannot be listed are not this kind's concern.)
		st.stash = left
	}
	if srcErr != nil {
		return st
	}
	st.listed = true
	into := st
	if st.stash != nil {
		st.stash.listed = true
	}
	if stashed {
		// The selected objects are stashed; the kind's own copies select nothing.
		into = st.stash
	}
	for i := range src {
		obj := &src[i]
		if reason := transform.SkipReason(obj, r.req.Transform); reason != "" {
			r.record(Action{GVK: t.GVK, Name: obj.GetName(), Type: ActionSkip, Reason: "Skipped", Message: reason})
			continue
		}
		if stashed {
			into.selected[transform.StashName(t.GVK.GroupKind(), obj.GetName())] = true
		} else {
			into.selected[obj.GetName()] = true
		}
		d, err := r.desired(obj)
		if err != nil {
			r.record(Action{GVK: t.GVK, Name: obj.GetName(), Type: ActionFailed, Reason: "TransformFailed", Message: err.Error()})
			continue
		}
		into.desired = append(into.desired, d)
	}
	return st
}

// stashType is the type of stash Secrets.
var stashType = Type{GVR: schema.GroupVersionResource{Version: "v1", Resource: "secrets"}, GVK: schema.GroupVersionKind{Version: "v1", Kind: "Secret"}}

// listStash lists the stash Secrets of one kind in DR (from one list of them per run); nil when
// the list failed (reported as a failure of the kind when report is set).
func (r *run) listStash(ctx context.Context, t Type, report bool) *typeState {
	st := &typeState{t: stashType, selected: map[string]bool{}, live: map[string]*unstructured.Unstructured{}, counted: true}
	if !r.destExists {
		return st
	}
	r.stashOnce.Do(func() {
		r.stashes, r.stashErr = listAllFields(ctx, r.resource(stashType), "", "type="+transform.StashSecretType)
	})
	secrets, err := r.stashes, r.stashErr
	if err != nil {
		if !report {
			return nil
		}
		r.record(Action{GVK: t.GVK, Type: ActionFailed, Reason: "ListFailed", Message: fmt.Sprintf("listing the stash Secrets of %s in the destination: %v", t, err)})
		return nil
	}
	prefix := t.GVK.Kind + "/"
	if t.GVK.Group != "" {
		prefix = t.GVK.Kind + "." + t.GVK.Group + "/"
	}
	for i := range secrets {
		if strings.HasPrefix(secrets[i].GetAnnotations()[drv1.AnnotationStashed], prefix) {
			st.live[secrets[i].GetName()] = &secrets[i]
		}
	}
	return st
}

// desired transforms a source object (into its stash Secret, for a stashed kind) and stamps the
// hash of the result on it.
func (r *run) desired(obj *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	toDest := transform.ToDestination
	if transform.Stashed(obj.GroupVersionKind().GroupKind(), r.req.Transform) {
		toDest = transform.ToStash
	}
	d, err := toDest(obj, r.req.Transform)
	if err != nil {
		return nil, err
	}
	h, err := desiredHash(d)
	if err != nil {
		return nil, err
	}
	setAnnotation(d, AnnotationDesiredHash, h)
	return d, nil
}

// IsSourceNamespaceNotFound reports a sync that failed because the source namespace is missing.
func IsSourceNamespaceNotFound(err error) bool { return errors.Is(err, ErrSourceNamespaceNotFound) }
