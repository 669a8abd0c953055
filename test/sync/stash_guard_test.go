package sync_test

import (
	"context"
	"fmt"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/transform"
)

// TestStashPrunedUnderTheDeleteGuard: the stash of an object deleted in production is pruned by
// the next sync; stash Secrets count as the mapping's managed objects for the delete guard, so
// that production emptied at once blocks the prune and keeps every stash.
func TestStashPrunedUnderTheDeleteGuard(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	rule := parkingRule("stash-configmaps-g", "", "ConfigMap", func(s *drv1.ParkingRuleSpec) { s.Stash = true })
	create(g, prod, rule)
	t.Cleanup(func() { _ = prod.Client.Delete(ctx, rule) })
	ruleReady(g, "stash-configmaps-g", metav1.ConditionTrue)
	ns := newNamespace(t, g, "sguard")
	for i := range 13 {
		create(g, prod, configMap(ns, fmt.Sprintf("cm-%02d", i)))
	}
	create(g, prod, mapping("sguard", ns, ns, func(m *drv1.NamespaceMapping) { m.Spec.ResourceTypes = []string{"configmaps"} }))
	t.Cleanup(func() { deleteMapping(NewWithT(t), "sguard") })
	m := triggerSync(t, g, "sguard")
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced), failedNames(m))
	g.Expect(m.Status.LastSyncStats.Stashed).To(BeEquivalentTo(13))
	stashes := func() int {
		l := &corev1.SecretList{}
		g.Expect(dr.Client.List(ctx, l, client.InNamespace(ns), client.MatchingFields{"type": transform.StashSecretType})).To(Succeed())
		return len(l.Items)
	}
	g.Expect(stashes()).To(Equal(13))

	// One deleted: its stash is pruned.
	g.Expect(prod.Client.Delete(ctx, configMap(ns, "cm-00"))).To(Succeed())
	m = triggerSync(t, g, "sguard")
	g.Expect(m.Status.LastSyncStats.Deleted).To(BeEquivalentTo(1))
	g.Expect(stashes()).To(Equal(12))
	err := dr.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: transform.StashName(schema.GroupKind{Kind: "ConfigMap"}, "cm-00")}, &corev1.Secret{})
	g.Expect(err).To(HaveOccurred())

	// All the others at once: the guard blocks, every stash stays.
	for i := 1; i < 13; i++ {
		g.Expect(prod.Client.Delete(ctx, configMap(ns, fmt.Sprintf("cm-%02d", i)))).To(Succeed())
	}
	m = triggerSync(t, g, "sguard")
	g.Expect(meta.IsStatusConditionTrue(m.Status.Conditions, drv1.ConditionPruneBlocked)).To(BeTrue(), "%v", m.Status.Conditions)
	g.Expect(stashes()).To(Equal(12))
}
