package engine

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/dr-syncer/dr-syncer/internal/transform"
)

// ErrDeleteDeferred: SyncObject registered a deletion with the delete guard; ask again after
// DeleteSettle, when the guard judges it together with the deletions that came with it.
var ErrDeleteDeferred = errors.New("deletion deferred by the delete guard")

// ServedTypes resolves the request's resource types on the source and keeps those the
// destination serves: the types Continuous mode watches.
func ServedTypes(req Request) ([]Type, error) {
	res, err := ResolveTypes(req.Source.Discovery, req.ResourceTypes, req.ExcludeResourceTypes)
	if err != nil {
		return nil, err
	}
	out := make([]Type, 0, len(res.Types))
	for _, t := range res.Types {
		if destServes(req.Dest, t) == nil {
			out = append(out, t)
		}
	}
	return out, nil
}

// SyncObject replicates one source object through the same select → transform → plan → apply
// stages as a full sync. A source object that is gone, ignored or no longer selected has its
// destination copy deleted (when prune is enabled and the copy is this mapping's). The error is
// set for failures worth retrying; the action describes the outcome either way.
func SyncObject(ctx context.Context, req Request, t Type, name string) (Action, error) {
	if req.Workers <= 0 {
		req.Workers = DefaultWorkers
	}
	r := &run{req: req, res: &Result{}, destExists: true}
	if err := CheckIdentity(ctx, req.Source, req.Transform.SourceNamespace, req.Dest, req.Transform.DestNamespace); err != nil {
		return Action{GVK: t.GVK, Name: name, Type: ActionFailed, Reason: "IdentityCheckFailed", Message: err.Error()}, err
	}
	src, err := req.Source.Dynamic.Resource(t.GVR).Namespace(req.Transform.SourceNamespace).Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		src = nil
	case err != nil:
		return Action{GVK: t.GVK, Name: name, Type: ActionFailed, Reason: "GetFailed", Message: err.Error()}, fmt.Errorf("reading source %s %s: %w", t, name, err)
	}
	if src != nil && (transform.SkipReason(src, req.Transform) != "" || (req.Selector != nil && !req.Selector.Matches(labels.Set(src.GetLabels())))) {
		src = nil
	}
	// A stashed kind's copy is its stash Secret.
	srcType, srcName := t, name
	if transform.Stashed(t.GVK.GroupKind(), req.Transform) {
		t, name = stashType, transform.StashName(t.GVK.GroupKind(), name)
	}
	live, err := r.resource(t).Get(ctx, name, metav1.GetOptions{})
	if err == nil && t == stashType && !transform.IsStash(live) {
		live = nil // a Secret of that name that is no stash is not this object's copy
		if src == nil {
			return Action{GVK: t.GVK, Name: name, Type: ActionUnchanged}, nil
		}
		return Action{GVK: srcType.GVK, Name: srcName, Type: ActionConflict, Reason: "Conflict",
			Message: fmt.Sprintf("Secret %s, where it would be stashed, is not a stash (type %s)", name, transform.StashSecretType)}, nil
	}
	switch {
	case apierrors.IsNotFound(err):
		live = nil
	case err != nil:
		return Action{GVK: t.GVK, Name: name, Type: ActionFailed, Reason: "GetFailed", Message: err.Error()}, fmt.Errorf("reading destination %s %s: %w", t, name, err)
	}

	ns, err := req.Dest.Dynamic.Resource(namespaceGVR).Get(ctx, req.Transform.DestNamespace, metav1.GetOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return Action{GVK: t.GVK, Name: name, Type: ActionFailed, Reason: "GetFailed", Message: err.Error()}, fmt.Errorf("reading destination namespace: %w", err)
	}
	if err := r.checkNotLive(ns); err != nil {
		// Not retried: the next full resync reports it, and failback ends it.
		return Action{GVK: t.GVK, Name: name, Type: ActionSkip, Reason: "DestinationLive", Message: err.Error()}, nil
	}
	key := t.String() + "/" + name
	if src == nil {
		if live == nil || !req.Prune || !Owns(live, req.Transform.MappingID) || live.GetDeletionTimestamp() != nil {
			req.Guard.cancel(key)
			return Action{GVK: t.GVK, Name: name, Type: ActionUnchanged}, nil
		}
		managed := 0
		if req.Managed != nil {
			managed = req.Managed()
		}
		switch req.Guard.admitOne(key, managed, req.MaxDeletePercent) {
		case Wait:
			return Action{GVK: t.GVK, Name: name, Type: ActionSkip, Reason: "DeletePending"}, ErrDeleteDeferred
		case Hold:
			return Action{GVK: t.GVK, Name: name, Type: ActionSkip, Reason: "PruneBlocked",
				Message: "held back by the delete guard until the next full sync or allow-prune"}, nil
		}
		if err := r.deleteObject(ctx, t, live); err != nil {
			return Action{GVK: t.GVK, Name: name, Type: ActionFailed, Reason: "DeleteFailed", Message: err.Error()}, err
		}
		return Action{GVK: t.GVK, Name: name, Type: ActionDelete}, nil
	}
	req.Guard.cancel(key)
	path, err := scaleReplicasPath(ctx, t, req.Source, req.Dest)
	if err != nil {
		return Action{GVK: t.GVK, Name: name, Type: ActionFailed, Reason: "CRDReadFailed", Message: err.Error()}, err
	}
	if path != "" {
		r.req.Transform.ScaleReplicasPaths = map[schema.GroupKind]string{t.GVK.GroupKind(): path}
	}
	desired, err := r.desired(src)
	if err != nil {
		// A bad object stays bad until its source changes: no retry.
		return Action{GVK: t.GVK, Name: name, Type: ActionFailed, Reason: "TransformFailed", Message: err.Error()}, nil
	}
	a := r.execute(ctx, r.plan(ctx, t, desired, live))
	if a.Type == ActionFailed && a.Reason != "Immutable" {
		return a, fmt.Errorf("writing %s %s: %s", t, name, a.Message)
	}
	return a, nil
}
