package ops

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/engine"
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

// recordEvent writes a cutover or failback Event in the DR namespace (always: that cluster
// answers) and on every NamespaceMapping of the scope (when the controller's cluster is known).
// An Event that cannot be written is a note, never a failure of the operation.
func recordEvent(ctx context.Context, s *Scope, g *engine.Gate, st *steps, eventType, reason, action, note string) {
	if st.dryRun {
		return
	}
	if err := g.RecordEvent(ctx, eventType, reason, action, note); err != nil {
		st.note("Event %s not recorded in namespace %s of %s: %v", reason, s.DestNamespace, s.Dest.Name, err)
	}
	if s.Controller == nil {
		return
	}
	for _, key := range s.Mappings {
		ref := corev1.ObjectReference{APIVersion: drv1.GroupVersion.String(), Kind: "NamespaceMapping", Namespace: key.Namespace, Name: key.Name}
		if err := s.Controller.Create(ctx, engine.NewEvent(key.Namespace, ref, eventType, reason, action, note)); err != nil {
			st.note("Event %s not recorded on NamespaceMapping %s: %v", reason, key, err)
		}
	}
}

// pauseChange computes what a cutover (paused) or failback (!paused) does to a mapping: the
// spec.paused it wants, and the value of annotation AnnotationPausedBeforeCutover to write (nil:
// leave it, "": remove it). Cutover records the administrator's own paused state once (a second
// cutover keeps the first record); failback restores it, so a mapping paused before the cutover
// stays paused. Without a record no cutover paused the mapping (a flag-form cutover pauses
// none): failback leaves spec.paused as it is, an administrator's pause included.
func pauseChange(m *drv1.NamespaceMapping, paused bool) (want bool, record *string) {
	before, recorded := m.Annotations[drv1.AnnotationPausedBeforeCutover]
	if paused {
		if recorded {
			return true, nil
		}
		v := strconv.FormatBool(m.Spec.Paused)
		return true, &v
	}
	if !recorded {
		return m.Spec.Paused, nil
	}
	empty := ""
	return before == "true", &empty
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
		want, record := pauseChange(m, paused)
		if m.Spec.Paused == want && record == nil {
			if !paused && m.Spec.Paused {
				st.note("NamespaceMapping %s: left paused: no cutover paused it (no annotation %s); unpause it yourself when wanted", key, drv1.AnnotationPausedBeforeCutover)
			} else {
				st.note("NamespaceMapping %s: already %sd", key, verb)
			}
			continue
		}
		switch {
		case m.Spec.Paused == want && paused:
			st.change("NamespaceMapping %s: already paused; record it (annotation %s=true)", key, drv1.AnnotationPausedBeforeCutover)
		case m.Spec.Paused == want:
			st.change("NamespaceMapping %s: stays paused as before the cutover (annotation %s removed)", key, drv1.AnnotationPausedBeforeCutover)
		default:
			st.change("NamespaceMapping %s: %s (spec.paused=%t)", key, verb, want)
		}
		if st.dryRun {
			continue
		}
		base := m.DeepCopy()
		m.Spec.Paused = want
		if record != nil {
			if m.Annotations == nil {
				m.Annotations = map[string]string{}
			}
			if *record == "" {
				delete(m.Annotations, drv1.AnnotationPausedBeforeCutover)
			} else {
				m.Annotations[drv1.AnnotationPausedBeforeCutover] = *record
			}
		}
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
			if m.Status.Phase == drv1.PhaseSyncing {
				return false, nil
			}
			// A Continuous watcher writes without a Syncing phase: wait until the controller has
			// seen the pause, which stops the watcher (its in-flight writes end before it reports).
			return m.Spec.Mode() != drv1.ModeContinuous || m.Status.ObservedGeneration >= m.Generation, nil
		})
		if err != nil && ctx.Err() == nil {
			st.warn("NamespaceMapping %s: the controller has not confirmed the pause within %s (a sync may be running, or the controller is down): if it is running, a sync it started before the pause may still write to DR; re-run this cutover when it is done", key, inFlightWait)
		}
	}
	return ctx.Err()
}

// recordDrill writes the drill's result into status.lastDrill (and, when every workload came
// up, status.lastSuccessfulDrill) of every mapping of the scope,
// with a merge patch of that one field through the status subresource: the controller's own
// status patches are merge patches of the fields it changed, so they keep it. Without the
// controller's cluster (the flag form) nothing is recorded; a refused write is reported, never
// a failure of the drill.
func recordDrill(ctx context.Context, s *Scope, rep *DrillReport) {
	switch {
	case s.Controller == nil:
		rep.NotRecorded = "the clusters were given by kubeconfig; the --mapping form records the result on the mapping (status.lastDrill)"
		return
	case len(s.Mappings) == 0:
		rep.NotRecorded = "no NamespaceMapping writes into the DR namespace"
		return
	}
	last := rep.LastDrill()
	status := map[string]any{"lastDrill": last}
	if last.Ready {
		status["lastSuccessfulDrill"] = last
	}
	data, err := json.Marshal(map[string]any{"status": status})
	if err != nil {
		rep.NotRecorded = err.Error()
		return
	}
	var failed []string
	for _, key := range s.Mappings {
		m := &drv1.NamespaceMapping{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}}
		if err := s.Controller.Status().Patch(ctx, m, client.RawPatch(types.MergePatchType, data), client.FieldOwner(drv1.FieldManager)); err != nil {
			failed = append(failed, fmt.Sprintf("NamespaceMapping %s: %v", key, err))
			continue
		}
		rep.Recorded = append(rep.Recorded, key.String())
	}
	rep.NotRecorded = strings.Join(failed, "; ")
}
