package sync_test

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/runtime/schema"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// TestDeletionPolicyDelete: deleting a mapping with deletionPolicy Delete removes every DR copy
// it made, and only those, before the mapping goes.
func TestDeletionPolicyDelete(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, g, "del")
	create(g, prod, configMap(ns, "a"), deployment(ns, "web", 2), job(ns, "migrate"))
	create(g, prod, mapping("del-delete", ns, ns, func(m *drv1.NamespaceMapping) {
		m.Spec.DeletionPolicy = drv1.DeletionDelete
		m.Spec.ResourceTypes = []string{"*", "jobs"}
	}))
	m := triggerSync(t, g, "del-delete")
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced), failedNames(m))
	g.Expect(m.Finalizers).To(ContainElement(drv1.Finalizer))
	create(g, dr, configMap(ns, "hand-made"))
	copies := []struct {
		gvk  schema.GroupVersionKind
		name string
	}{{gvkConfigMap, "a"}, {gvkDeployment, "web"}, {gvkJob, "migrate"}}
	for _, c := range copies {
		get(g, dr, c.gvk, ns, c.name)
	}

	deleteMapping(g, "del-delete")
	for _, c := range copies {
		g.Expect(absent(dr, c.gvk, ns, c.name)).To(BeTrue(), "%s %s survived", c.gvk.Kind, c.name)
	}
	get(g, dr, gvkConfigMap, ns, "hand-made")
	get(g, dr, gvkNamespace, "", ns) // the namespace stays
	for _, c := range copies {
		get(g, prod, c.gvk, ns, c.name) // the source is never touched
	}
	g.Eventually(func(g Gomega) {
		g.Expect(mappingEvents(g, "del-delete", "CleanedUp")).NotTo(BeEmpty())
	}).WithTimeout(10 * time.Second).WithPolling(interval).Should(Succeed())
}

// TestDeletionPolicyRetain: deleting a mapping with deletionPolicy Retain leaves its DR copies.
func TestDeletionPolicyRetain(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, g, "retain")
	create(g, prod, configMap(ns, "a"), deployment(ns, "web", 2))
	create(g, prod, mapping("del-retain", ns, ns))
	m := triggerSync(t, g, "del-retain")
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced), failedNames(m))
	g.Expect(m.Finalizers).NotTo(ContainElement(drv1.Finalizer))

	deleteMapping(g, "del-retain")
	get(g, dr, gvkConfigMap, ns, "a")
	get(g, dr, gvkDeployment, ns, "web")
}
