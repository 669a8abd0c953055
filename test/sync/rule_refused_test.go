package sync_test

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// TestRuleValueRefusedNamesTheRule: a ParkingRule whose parked value the API server refuses
// (a string where Deployment wants a bool) leaves the object missing in DR and the mapping
// Failed, and the failure names the rule: the object's own content is not at fault.
func TestRuleValueRefusedNamesTheRule(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	rule := parkingRule("bad-deploy", "apps", "Deployment", func(s *drv1.ParkingRuleSpec) {
		s.Fields = []drv1.ParkedField{parked("/spec/paused", `"yes"`)}
	})
	create(g, prod, rule)
	t.Cleanup(func() { _ = prod.Client.Delete(ctx, rule) })
	ruleReady(g, "bad-deploy", metav1.ConditionTrue)
	ns := newNamespace(t, g, "badrule")
	create(g, prod, deployment(ns, "web", 2))
	create(g, prod, mapping("badrule", ns, ns, func(m *drv1.NamespaceMapping) { m.Spec.ResourceTypes = []string{"deployments"} }))
	t.Cleanup(func() { deleteMapping(NewWithT(t), "badrule") })
	m := triggerSync(t, g, "badrule")
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseFailed))
	g.Expect(absent(dr, gvkDeployment, ns, "web")).To(BeTrue())
	g.Expect(failedNames(m)).To(ContainSubstring("parked by ParkingRule " + controllerNS + "/bad-deploy"))
}
