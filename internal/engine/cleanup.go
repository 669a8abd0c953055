package engine

import (
	"context"
	"errors"
	"fmt"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/cluster"
)

// DeleteManaged deletes every object in a destination namespace that carries the mapping's origin
// label (deletionPolicy: Delete). The namespace itself stays. It returns how many were deleted.
func DeleteManaged(ctx context.Context, dest *cluster.Handle, namespace, mappingID string) (int, error) {
	dest.Invalidate()
	res, err := ResolveTypes(dest.Discovery, []string{"*", "jobs.batch"}, nil)
	if err != nil {
		return 0, fmt.Errorf("destination cluster %s: %w", dest.Name, err)
	}
	if res.Incomplete != nil {
		// An undiscoverable group may hold copies: do not report the cleanup as complete.
		return 0, fmt.Errorf("destination cluster %s: %w", dest.Name, res.Incomplete)
	}
	r := &run{req: Request{Dest: dest, Transform: transformFor(namespace, mappingID), Workers: DefaultWorkers}, res: &Result{}}
	var errs []error
	for _, t := range res.Types {
		objs, err := listAll(ctx, r.resource(t), drv1.LabelMapping+"="+mappingID)
		if err != nil {
			errs = append(errs, fmt.Errorf("listing %s: %w", t, err))
			continue
		}
		for i := range objs {
			if err := r.deleteObject(ctx, t, &objs[i]); err != nil {
				errs = append(errs, fmt.Errorf("deleting %s %s: %w", t, objs[i].GetName(), err))
				continue
			}
			r.res.Stats.Deleted++
		}
	}
	return int(r.res.Stats.Deleted), errors.Join(errs...)
}
