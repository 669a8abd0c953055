package ops

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// inFlightWait bounds the wait for a sync that was running when its mapping was paused.
const inFlightWait = 30 * time.Second

// MappingsInto lists the NamespaceMappings in namespace that write into destNamespace of
// destCluster: the ones a cutover of that DR namespace pauses.
func MappingsInto(ctx context.Context, c client.Client, namespace, destCluster, destNamespace string) ([]drv1.NamespaceMapping, error) {
	list := &drv1.NamespaceMappingList{}
	if err := c.List(ctx, list, client.InNamespace(namespace)); err != nil {
		return nil, fmt.Errorf("listing NamespaceMappings in namespace %s: %w", namespace, err)
	}
	var out []drv1.NamespaceMapping
	for _, m := range list.Items {
		if m.Spec.DestinationCluster == destCluster && m.Spec.DestNamespace() == destNamespace {
			out = append(out, m)
		}
	}
	return out, nil
}

// setPaused sets spec.paused of every mapping of the scope with a merge patch (the field belongs
// to whoever manages the mapping; dr-syncer only flips it). Pausing waits, up to inFlightWait,
// for a sync that was already running, so that it cannot park DR after the cutover.
func setPaused(ctx context.Context, s *Scope, st *steps, paused bool) error {
	switch {
	case s.Controller == nil:
		st.note("none known: the clusters were given by kubeconfig; the --mapping form pauses and unpauses the controller's mappings")
		return nil
	case len(s.Mappings) == 0:
		st.note("none found")
		return nil
	}
	verb := "unpause"
	if paused {
		verb = "pause"
	}
	for _, key := range s.Mappings {
		m := &drv1.NamespaceMapping{}
		if err := s.Controller.Get(ctx, key, m); err != nil {
			return fmt.Errorf("reading NamespaceMapping %s: %w", key, err)
		}
		if m.Spec.Paused == paused {
			st.note("NamespaceMapping %s: already %sd", key, verb)
			continue
		}
		st.change("NamespaceMapping %s: %s (spec.paused=%t)", key, verb, paused)
		if st.dryRun {
			continue
		}
		base := m.DeepCopy()
		m.Spec.Paused = paused
		if err := s.Controller.Patch(ctx, m, client.MergeFrom(base), client.FieldOwner(drv1.FieldManager)); err != nil {
			return fmt.Errorf("%sing NamespaceMapping %s: %w", verb, key, err)
		}
	}
	if !paused || st.dryRun {
		return nil
	}
	for _, key := range s.Mappings {
		m := &drv1.NamespaceMapping{}
		err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, inFlightWait, true, func(ctx context.Context) (bool, error) {
			if err := s.Controller.Get(ctx, key, m); err != nil {
				return false, err
			}
			return m.Status.Phase != drv1.PhaseSyncing, nil
		})
		if err != nil && ctx.Err() == nil {
			st.warn("NamespaceMapping %s still reports phase Syncing after %s: if the controller is running, a sync it started before the pause may still write to DR; re-run this cutover when it is done", key, inFlightWait)
		}
	}
	return ctx.Err()
}
