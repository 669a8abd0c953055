package ops

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/engine"
	"github.com/dr-syncer/dr-syncer/internal/transform"
)

var secretsGVR = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}

// stashed is one stash Secret of the scope, and the object it holds.
type stashed struct {
	secret *unstructured.Unstructured
	obj    *unstructured.Unstructured
	gvr    schema.GroupVersionResource
}

func (x stashed) ref() string { return x.secret.GetAnnotations()[drv1.AnnotationStashed] }

// key is the workload key of the held object, as the source's workload of kinds has it.
func (x stashed) key(kinds []workloadKind) string {
	return workload{kind: kindFor(kinds, x.obj.GroupVersionKind().GroupKind()), obj: x.obj}.key()
}

// listStashes lists the stash Secrets of the scope's mappings in the DR namespace that keep
// accepts, with the objects they hold. A stash that does not decode, or of a kind DR does not
// serve, is an error of its own: the others are still listed.
func listStashes(ctx context.Context, s *Scope, keep func(workload) bool) ([]stashed, []error) {
	var out []stashed
	var errs []error
	opts := metav1.ListOptions{LabelSelector: s.drSelector().String(), FieldSelector: "type=" + transform.StashSecretType, Limit: 500}
	for {
		l, err := s.Dest.Dynamic.Resource(secretsGVR).Namespace(s.DestNamespace).List(ctx, opts)
		if err != nil {
			return nil, append(errs, fmt.Errorf("listing the stash Secrets of namespace %s in cluster %s: %w", s.DestNamespace, s.Dest.Name, err))
		}
		for i := range l.Items {
			secret := &l.Items[i]
			if !engine.OwnedByAny(secret, s.MappingIDs) || !keep(workload{obj: secret}) {
				continue
			}
			obj, err := transform.Unstash(secret)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			gvk := obj.GroupVersionKind()
			m, err := s.Dest.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
			if err != nil {
				errs = append(errs, fmt.Errorf("stash %s holds %s, which cluster %s does not serve: %w", secret.GetName(), gvk, s.Dest.Name, err))
				continue
			}
			out = append(out, stashed{secret: secret, obj: obj, gvr: m.Resource})
		}
		if opts.Continue = l.GetContinue(); opts.Continue == "" {
			return out, errs
		}
	}
}

// unstashAll creates, at cutover, the objects the scope's stash Secrets hold (xs, listed with
// errs); one that exists already (a cutover run before) is left as it is, and so is one whose
// source workload could not be parked (notParked: it must not run on both sides). It needs DR
// only. sourceParked names the held objects whose source cutover parked; the others are warned
// of. It returns what cutover --wait waits for: every object it created except Jobs (a Job is
// ready when it has finished, which is not what cutover waits for).
func unstashAll(ctx context.Context, g *engine.Gate, s *Scope, st *steps, xs []stashed, errs []error, kinds []workloadKind, sourceParked, notParked map[string]bool) ([]WorkloadRef, []error) {
	var refs []WorkloadRef
	for _, err := range errs {
		st.warn("%v", err)
	}
	created := 0
	for _, x := range xs {
		if notParked[x.key(kinds)] {
			st.warn("%s not created from its stash: its source could not be parked, and it must not run on both sides; fix the source and re-run cutover", x.ref())
			continue
		}
		_, err := s.Dest.Dynamic.Resource(x.gvr).Namespace(s.DestNamespace).Get(ctx, x.obj.GetName(), metav1.GetOptions{})
		if err == nil {
			continue
		}
		if !apierrors.IsNotFound(err) {
			st.warn("%s: %v", x.ref(), err)
			errs = append(errs, err)
			continue
		}
		st.change("%s: created from its stash (Secret %s)", x.ref(), x.secret.GetName())
		if !sourceParked[x.key(kinds)] {
			created++
		}
		if st.dryRun {
			continue
		}
		if err := g.CreateFromStash(ctx, x.gvr, x.obj); err != nil && !apierrors.IsAlreadyExists(err) {
			err = fmt.Errorf("creating %s from its stash in cluster %s: %w", x.ref(), s.Dest.Name, err)
			st.warn("%v", err)
			errs = append(errs, err)
			continue
		}
		if x.obj.GroupVersionKind().GroupKind() != (schema.GroupKind{Group: "batch", Kind: "Job"}) {
			refs = append(refs, WorkloadRef{GVR: x.gvr, Kind: x.obj.GetKind(), Name: x.obj.GetName()})
		}
	}
	if created > 0 {
		st.warn("%d stashed objects created in DR; this cutover did not park their source objects (a stash rule says nothing of how to park a kind dr-syncer does not park by itself, or the source did not answer): stop them in the source if they must not run on both sides", created)
	}
	return refs, errs
}

// restashAll, at failback, stashes every live DR object of a stash Secret of the scope again
// (with its current content) and removes it from the DR namespace.
func restashAll(ctx context.Context, g *engine.Gate, s *Scope, st *steps) error {
	xs, errs := listStashes(ctx, s, s.copiedFromSourceNamespace)
	for _, x := range xs {
		live, err := s.Dest.Dynamic.Resource(x.gvr).Namespace(s.DestNamespace).Get(ctx, x.obj.GetName(), metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue // stashed already
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !engine.OwnedByAny(live, s.MappingIDs) {
			st.warn("%s in DR is not a copy of this scope's mappings: left as it is, not stashed", x.ref())
			continue
		}
		secret, err := transform.StashLive(live)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		st.change("%s: stashed again (Secret %s) and removed from the DR namespace", x.ref(), secret.GetName())
		if st.dryRun {
			continue
		}
		if err := g.Restash(ctx, x.gvr, live, secret); err != nil {
			errs = append(errs, fmt.Errorf("%s in cluster %s: %w", x.ref(), s.Dest.Name, err))
		}
	}
	return errors.Join(errs...)
}
