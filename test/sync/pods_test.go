package sync_test

import (
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// TestNamedPodsAreRefused: a bare Pod cannot be parked (nothing in it stops it from running),
// so a mapping that names pods in resourceTypes copies none: it would run in DR at once.
func TestNamedPodsAreRefused(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, g, "pods")
	create(g, prod, &corev1.Pod{ObjectMeta: objMeta(ns, "bare"), Spec: corev1.PodSpec{
		Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}})
	create(g, prod, mapping("pods", ns, ns, func(m *drv1.NamespaceMapping) { m.Spec.ResourceTypes = []string{"pods", "configmaps"} }))
	t.Cleanup(func() { deleteMapping(NewWithT(t), "pods") })
	m := triggerSync(t, g, "pods")
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced), failedNames(m))
	g.Expect(m.Status.LastSyncStats.Skipped).To(BeEquivalentTo(1))
	g.Expect(absent(dr, schema.GroupVersionKind{Version: "v1", Kind: "Pod"}, ns, "bare")).To(BeTrue(), "a Pod copied to DR runs there")
}
