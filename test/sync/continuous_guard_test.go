package sync_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// TestContinuousDeleteGuard: a burst of deletions in the source is not mirrored one by one past
// prune.maxDeletePercent; the rest waits, with PruneBlocked, until released by allow-prune.
func TestContinuousDeleteGuard(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, g, "burst")
	for i := range 30 {
		create(g, prod, configMap(ns, fmt.Sprintf("cm-%02d", i)))
	}
	create(g, prod, mapping("burst", ns, ns, continuousMapping))
	waitMapping(g, "burst", func(m *drv1.NamespaceMapping) bool { return m.Status.Phase == drv1.PhaseSynced })
	countDR := func() int {
		l := &corev1.ConfigMapList{}
		g.Expect(dr.Client.List(ctx, l, client.InNamespace(ns), client.HasLabels{drv1.LabelMapping})).To(Succeed())
		return len(l.Items)
	}
	g.Eventually(countDR).WithTimeout(timeout).Should(Equal(30))

	// Someone deletes two thirds of the namespace at once.
	for i := range 20 {
		g.Expect(prod.Client.Delete(ctx, configMap(ns, fmt.Sprintf("cm-%02d", i)))).To(Succeed())
	}
	m := waitMapping(g, "burst", func(m *drv1.NamespaceMapping) bool {
		return meta.IsStatusConditionTrue(m.Status.Conditions, drv1.ConditionPruneBlocked)
	})
	g.Expect(condition(m, drv1.ConditionPruneBlocked).Reason).To(Equal(drv1.ReasonDeleteThreshold))
	// At most half of the 30 went; the others are held.
	g.Consistently(countDR).WithTimeout(2 * time.Second).Should(BeNumerically(">=", 15))
	g.Eventually(func() int { return len(mappingEvents(g, "burst", "PruneBlocked")) }).WithTimeout(10 * time.Second).Should(BeNumerically(">=", 1))

	// Released: the next full resync deletes the rest.
	patchMapping(g, "burst", func(m *drv1.NamespaceMapping) {
		m.Annotations = map[string]string{drv1.AnnotationAllowPrune: metav1.Now().String()}
	})
	g.Eventually(countDR).WithTimeout(timeout).Should(Equal(10))
	waitMapping(g, "burst", func(m *drv1.NamespaceMapping) bool {
		return !meta.IsStatusConditionTrue(m.Status.Conditions, drv1.ConditionPruneBlocked)
	})
}
