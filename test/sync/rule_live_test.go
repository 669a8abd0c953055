package sync_test

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/engine"
	"github.com/dr-syncer/dr-syncer/internal/transform"
)

// TestRuleChangedWhileLiveWritesNothing: after cutover, a sync with another ParkingRule for the
// kind (or none) neither re-parks nor un-parks the live DR copy: the live fence refuses it, and
// the copy keeps running as cutover left it.
func TestRuleChangedWhileLiveWritesNothing(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	crd := crdOf("live.example.com", "v1", "Engine", "engines")
	installCRD(t, g, prod, crd)
	t.Cleanup(func() { removeCRD(t, dr, crd.Name) })
	gvk := schema.GroupVersionKind{Group: "live.example.com", Version: "v1", Kind: "Engine"}
	rule := parkingRule("engines", "live.example.com", "Engine", func(s *drv1.ParkingRuleSpec) {
		s.Fields = []drv1.ParkedField{parked("/spec/paused", "true")}
	})
	create(g, prod, rule)
	t.Cleanup(func() { _ = prod.Client.Delete(ctx, rule) })
	ruleReady(g, "engines", metav1.ConditionTrue)
	ns := newNamespace(t, g, "rulelive")
	e := widget(gvk, ns, "e1")
	e.Object["spec"] = map[string]any{"paused": false}
	create(g, prod, e)
	create(g, prod, mapping("rulelive", ns, ns, func(m *drv1.NamespaceMapping) {
		m.Spec.ResourceTypes = []string{crd.Name}
		m.Spec.SyncCRDs = true
	}))
	t.Cleanup(func() { deleteMapping(NewWithT(t), "rulelive") })
	m := triggerSync(t, g, "rulelive")
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced), failedNames(m))
	dr.Invalidate()
	g.Expect(nested(g, get(g, dr, gvk, ns, "e1"), "spec", "paused")).To(Equal(true))

	s := opsScope(ns, ns, "rulelive")
	cutover(g, s)
	g.Expect(nested(g, get(g, dr, gvk, ns, "e1"), "spec", "paused")).To(Equal(false))
	before := get(g, dr, gvk, ns, "e1").GetResourceVersion()

	// Another rule (an annotation instead), and no rule at all: a sync is refused either way.
	for _, rules := range []map[schema.GroupKind]*transform.Rule{
		{gvk.GroupKind(): {Name: "other", Annotations: map[string]string{"live.example.com/off": "yes"}}},
		nil,
	} {
		_, err := engine.Sync(ctx, engine.Request{Source: prod, Dest: dr, ResourceTypes: []string{crd.Name}, Prune: true,
			Transform: transform.Options{SourceNamespace: ns, DestNamespace: ns, MappingID: engine.MappingID(controllerNS, "rulelive"), Rules: rules}})
		g.Expect(err).To(MatchError(ContainSubstring("live")), "a sync into a live DR namespace is refused")
		g.Expect(get(g, dr, gvk, ns, "e1").GetResourceVersion()).To(Equal(before), "the live copy is not written")
	}
}
