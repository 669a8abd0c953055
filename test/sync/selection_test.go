package sync_test

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// TestScaleOverride: the scale-override label keeps the source count ("true") or sets one (an
// integer) while every other workload is parked at zero.
func TestScaleOverride(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, g, "scale")
	create(g, prod,
		deployment(ns, "keep", 3, drv1.LabelScaleOverride, "true"),
		deployment(ns, "five", 2, drv1.LabelScaleOverride, "5"),
		deployment(ns, "parked", 4),
	)
	create(g, prod, mapping("scale-override", ns, ns, func(m *drv1.NamespaceMapping) { m.Spec.ResourceTypes = []string{"deployments"} }))
	m := triggerSync(t, g, "scale-override")
	g.Expect(m.Status.LastSyncStats.Failed).To(BeZero(), failedNames(m))

	keep := get(g, dr, gvkDeployment, ns, "keep")
	g.Expect(nested(g, keep, "spec", "replicas")).To(BeEquivalentTo(3))
	g.Expect(keep.GetAnnotations()).To(HaveKeyWithValue(drv1.AnnotationOriginalReplicas, "3"))
	five := get(g, dr, gvkDeployment, ns, "five")
	g.Expect(nested(g, five, "spec", "replicas")).To(BeEquivalentTo(5))
	g.Expect(five.GetAnnotations()).To(HaveKeyWithValue(drv1.AnnotationOriginalReplicas, "2"))
	parked := get(g, dr, gvkDeployment, ns, "parked")
	g.Expect(nested(g, parked, "spec", "replicas")).To(BeEquivalentTo(0))
	g.Expect(parked.GetAnnotations()).To(HaveKeyWithValue(drv1.AnnotationOriginalReplicas, "4"))
}

// TestScaleToZeroDisabled: scaleToZero: false copies the source replica count as it is.
func TestScaleToZeroDisabled(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, g, "noscale")
	create(g, prod, deployment(ns, "web", 3))
	create(g, prod, mapping("scale-off", ns, ns, func(m *drv1.NamespaceMapping) {
		m.Spec.ScaleToZero = ptr.To(false)
		m.Spec.ResourceTypes = []string{"deployments"}
	}))
	m := triggerSync(t, g, "scale-off")
	g.Expect(m.Status.LastSyncStats.Failed).To(BeZero(), failedNames(m))
	web := get(g, dr, gvkDeployment, ns, "web")
	g.Expect(nested(g, web, "spec", "replicas")).To(BeEquivalentTo(3))
	g.Expect(web.GetAnnotations()).NotTo(HaveKey(drv1.AnnotationOriginalReplicas))
}

// TestLabelSelector: only source objects matching spec.labelSelector are copied.
func TestLabelSelector(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, g, "selector")
	create(g, prod,
		configMap(ns, "front", "tier", "frontend"),
		configMap(ns, "back", "tier", "backend"),
		configMap(ns, "plain"),
		&corev1.Secret{ObjectMeta: objMeta(ns, "front-secret", "tier", "frontend"), StringData: map[string]string{"k": "v"}},
	)
	create(g, prod, mapping("selector", ns, ns, func(m *drv1.NamespaceMapping) {
		m.Spec.LabelSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"tier": "frontend"}}
	}))
	m := triggerSync(t, g, "selector")
	g.Expect(m.Status.LastSyncStats.Failed).To(BeZero(), failedNames(m))
	g.Expect(m.Status.LastSyncStats.Created).To(BeEquivalentTo(2))
	get(g, dr, gvkConfigMap, ns, "front")
	get(g, dr, gvkSecret, ns, "front-secret")
	g.Expect(absent(dr, gvkConfigMap, ns, "back")).To(BeTrue())
	g.Expect(absent(dr, gvkConfigMap, ns, "plain")).To(BeTrue())
}

// TestIgnoreLabelAddedLater: a synced object that gets the ignore label later is pruned from DR.
func TestIgnoreLabelAddedLater(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, g, "ignore-later")
	create(g, prod, configMap(ns, "stays"), configMap(ns, "goes"))
	create(g, prod, mapping("ignore-later", ns, ns))
	m := triggerSync(t, g, "ignore-later")
	g.Expect(m.Status.LastSyncStats.Created).To(BeEquivalentTo(2), failedNames(m))
	get(g, dr, gvkConfigMap, ns, "goes")

	src := configMap(ns, "goes")
	g.Expect(prod.Client.Get(ctx, client.ObjectKeyFromObject(src), src)).To(Succeed())
	src.Labels = map[string]string{drv1.LabelIgnore: "true"}
	g.Expect(prod.Client.Update(ctx, src)).To(Succeed())

	m = triggerSync(t, g, "ignore-later")
	g.Expect(m.Status.LastSyncStats.Deleted).To(BeEquivalentTo(1), failedNames(m))
	g.Expect(m.Status.LastSyncStats.Skipped).To(BeEquivalentTo(1))
	g.Expect(absent(dr, gvkConfigMap, ns, "goes")).To(BeTrue())
	get(g, dr, gvkConfigMap, ns, "stays")
	get(g, prod, gvkConfigMap, ns, "goes") // the source is never touched
}
