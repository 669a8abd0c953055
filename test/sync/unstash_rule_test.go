package sync_test

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/transform"
)

// TestUnstashingAKindPrunesItsStash: when the stash rule of a kind goes, the next sync copies its
// objects into the DR namespace and prunes their stash Secrets; an object deleted in production
// afterwards is not brought back by cutover from a stash left behind.
func TestUnstashingAKindPrunesItsStash(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, g, "unstash")
	create(g, prod, configMap(ns, "settings"))
	rule := parkingRule("stash-configmaps-u", "", "ConfigMap", func(s *drv1.ParkingRuleSpec) { s.Stash = true })
	create(g, prod, rule)
	t.Cleanup(func() { _ = prod.Client.Delete(ctx, rule) })
	ruleReady(g, "stash-configmaps-u", metav1.ConditionTrue)
	create(g, prod, mapping("unstash", ns, ns, func(m *drv1.NamespaceMapping) { m.Spec.ResourceTypes = []string{"configmaps"} }))
	t.Cleanup(func() { deleteMapping(NewWithT(t), "unstash") })
	m := triggerSync(t, g, "unstash")
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced), failedNames(m))
	g.Expect(m.Status.LastSyncStats.Stashed).To(BeEquivalentTo(1))
	stashKey := client.ObjectKey{Namespace: ns, Name: transform.StashName(schema.GroupKind{Kind: "ConfigMap"}, "settings")}
	g.Expect(dr.Client.Get(ctx, stashKey, &corev1.Secret{})).To(Succeed())

	// The rule goes: the object is copied, its stash pruned.
	g.Expect(prod.Client.Delete(ctx, rule)).To(Succeed())
	g.Eventually(func() bool {
		return apierrors.IsNotFound(prod.Client.Get(ctx, client.ObjectKeyFromObject(rule), &drv1.ParkingRule{}))
	}).WithTimeout(timeout).Should(BeTrue())
	m = triggerSync(t, g, "unstash")
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced), failedNames(m))
	g.Expect(absent(dr, gvkConfigMap, ns, "settings")).To(BeFalse())
	err := dr.Client.Get(ctx, stashKey, &corev1.Secret{})
	g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "the stash of a kind no longer stashed is pruned: %v", err)

	// Deleted in production: pruned in DR, and cutover creates nothing from a stale stash.
	g.Expect(prod.Client.Delete(ctx, configMap(ns, "settings"))).To(Succeed())
	m = triggerSync(t, g, "unstash")
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced), failedNames(m))
	g.Expect(absent(dr, gvkConfigMap, ns, "settings")).To(BeTrue())
	cutover(g, opsScope(ns, ns, "unstash"))
	g.Expect(absent(dr, gvkConfigMap, ns, "settings")).To(BeTrue(), "cutover brings back no object production deleted")
}
