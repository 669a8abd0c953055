package namespacemapping

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/cluster"
	"github.com/dr-syncer/dr-syncer/internal/engine"
	"github.com/dr-syncer/dr-syncer/internal/transform"
)

// EngineRequest turns a mapping's spec into an engine request. The CLI uses it too, so both run
// the same sync for the same spec. The ParkingRules of the mapping's namespace are the caller's
// to add (parkingrule.InForce).
func EngineRequest(m *drv1.NamespaceMapping, src, dst *cluster.Handle, workers int) (engine.Request, error) {
	spec := &m.Spec
	var sel labels.Selector
	if spec.LabelSelector != nil {
		s, err := metav1.LabelSelectorAsSelector(spec.LabelSelector)
		if err != nil {
			return engine.Request{}, fmt.Errorf("spec.labelSelector: %w", err)
		}
		sel = s
	}
	return engine.Request{
		Source:               src,
		Dest:                 dst,
		ResourceTypes:        spec.ResourceTypes,
		ExcludeResourceTypes: spec.ExcludeResourceTypes,
		Selector:             sel,
		Transform: transform.Options{
			SourceCluster:   spec.SourceCluster,
			SourceNamespace: spec.SourceNamespace,
			DestNamespace:   spec.DestNamespace(),
			MappingID:       engine.MappingID(m.Namespace, m.Name),
			ScaleToZero:     spec.ScaleDown(),
			PVC:             spec.PVCConfig,
			SyncOwnedBy:     ownerKinds(spec.SyncOwnedBy),
			ParkNetworking:  spec.ParkNetworking,
		},
		CreateNamespace:          spec.NamespaceConfig.CreateNamespaceOrDefault(),
		CopyNamespaceLabels:      spec.NamespaceConfig.CopyLabelsOrDefault(),
		CopyNamespaceAnnotations: spec.NamespaceConfig.CopyAnnotationsOrDefault(),
		SyncCRDs:                 spec.SyncCRDs,
		Prune:                    spec.PruneEnabled(),
		MaxDeletePercent:         int(spec.PruneMaxDeletePercent()),
		ConflictPolicy:           spec.ConflictPolicy,
		ImmutableFieldPolicy:     spec.ImmutableFieldPolicy,
		Workers:                  workers,
	}, nil
}

func ownerKinds(in []drv1.OwnerKind) []schema.GroupKind {
	out := make([]schema.GroupKind, len(in))
	for i, k := range in {
		out[i] = schema.GroupKind{Group: k.Group, Kind: k.Kind}
	}
	return out
}
