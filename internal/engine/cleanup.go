package engine

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/cluster"
)

// DeleteManaged deletes every object in a destination namespace that the mapping owns (Owns:
// its label, a source annotation, no controller ownerReference), for deletionPolicy: Delete.
// The namespace itself stays. A live DR namespace (dr-syncer.io/live-since) is left untouched:
// the error is ErrDestinationLiveCleanup. It returns how many objects were deleted.
func DeleteManaged(ctx context.Context, dest *cluster.Handle, namespace, mappingID string) (int, error) {
	ns, err := dest.Dynamic.Resource(namespaceGVR).Get(ctx, namespace, metav1.GetOptions{})
	if err != nil {
		if apierrors.IsNotFound(err) {
			return 0, nil // nothing to clean up
		}
		return 0, fmt.Errorf("reading destination namespace %q: %w", namespace, err)
	}
	r := &run{req: Request{Dest: dest, Transform: transformFor(namespace, mappingID), Workers: DefaultWorkers}, res: &Result{}}
	if err := r.checkNotLive(ns); err != nil {
		return 0, fmt.Errorf("%w: %v", ErrDestinationLiveCleanup, err)
	}
	dest.Invalidate()
	res, err := ResolveTypes(dest.Discovery, []string{"*", "jobs.batch"}, nil)
	if err != nil {
		return 0, fmt.Errorf("destination cluster %s: %w", dest.Name, err)
	}
	if res.Incomplete != nil {
		// An undiscoverable group may hold copies: do not report the cleanup as complete.
		return 0, fmt.Errorf("destination cluster %s: %w", dest.Name, res.Incomplete)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r.fence(ctx, ns)
	var errs []error
	for _, t := range res.Types {
		objs, err := listAll(ctx, r.resource(t), drv1.LabelMapping+"="+mappingID)
		if err != nil {
			errs = append(errs, fmt.Errorf("listing %s: %w", t, err))
			continue
		}
		for i := range objs {
			if !Owns(&objs[i], mappingID) {
				continue // carries the label but is not a copy (an operator's object): not ours
			}
			if err := r.deleteObject(ctx, t, &objs[i]); err != nil {
				if IsDestinationLive(err) {
					return int(r.res.Stats.Deleted), fmt.Errorf("%w: %v", ErrDestinationLiveCleanup, err)
				}
				errs = append(errs, fmt.Errorf("deleting %s %s: %w", t, objs[i].GetName(), err))
				continue
			}
			r.res.Stats.Deleted++
		}
	}
	return int(r.res.Stats.Deleted), errors.Join(errs...)
}

// ErrDestinationLiveCleanup: a mapping's copies were left because its DR namespace is live.
var ErrDestinationLiveCleanup = errors.New("destination namespace is live: copies left in place")

// IsDestinationLiveCleanup reports a cleanup skipped because the DR namespace is live.
func IsDestinationLiveCleanup(err error) bool { return errors.Is(err, ErrDestinationLiveCleanup) }
