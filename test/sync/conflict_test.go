package sync_test

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/engine"
)

// TestConflictPolicy: a DR object dr-syncer did not create is left alone and reported under
// conflictPolicy Skip, and taken over under Adopt.
func TestConflictPolicy(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, g, "conflict")
	create(g, prod, configMap(ns, "shared"), configMap(ns, "mine"))
	create(g, dr, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
	theirs := configMap(ns, "shared", "owner", "someone-else")
	theirs.Data = map[string]string{"key": "theirs"}
	create(g, dr, theirs)

	create(g, prod, mapping("conflict", ns, ns, func(m *drv1.NamespaceMapping) { m.Spec.ResourceTypes = []string{"configmaps"} }))
	m := triggerSync(t, g, "conflict")
	g.Expect(m.Status.LastSyncStats.Conflicts).To(BeEquivalentTo(1), failedNames(m))
	g.Expect(m.Status.LastSyncStats.Created).To(BeEquivalentTo(1))
	f := failure(m, "ConfigMap", "shared")
	g.Expect(f).NotTo(BeNil(), failedNames(m))
	g.Expect(f.Reason).To(Equal("Conflict"))
	g.Expect(f.Message).To(ContainSubstring("conflictPolicy: Adopt"))
	// A conflict under Skip is a chosen outcome, not a failure.
	g.Expect(condition(m, drv1.ConditionReady).Status).To(Equal(metav1.ConditionTrue))
	cm := get(g, dr, gvkConfigMap, ns, "shared")
	g.Expect(nested(g, cm, "data", "key")).To(Equal("theirs"))
	g.Expect(cm.GetLabels()).NotTo(HaveKey(drv1.LabelMapping))
	g.Expect(cm.GetLabels()).To(HaveKeyWithValue("owner", "someone-else"))
	get(g, dr, gvkConfigMap, ns, "mine")
	g.Eventually(func(g Gomega) {
		events := mappingEvents(g, "conflict", "Conflict")
		g.Expect(events).NotTo(BeEmpty())
		g.Expect(events[0].Type).To(Equal(corev1.EventTypeWarning))
		g.Expect(events[0].Note).To(ContainSubstring("1 destination objects"))
	}).WithTimeout(10 * time.Second).WithPolling(interval).Should(Succeed())

	updateMapping(g, "conflict", func(m *drv1.NamespaceMapping) { m.Spec.ConflictPolicy = drv1.ConflictAdopt })
	m = triggerSync(t, g, "conflict")
	g.Expect(m.Status.LastSyncStats.Conflicts).To(BeZero(), failedNames(m))
	g.Expect(m.Status.LastSyncStats.Updated).To(BeEquivalentTo(1))
	g.Expect(m.Status.FailedResources).To(BeEmpty())
	cm = get(g, dr, gvkConfigMap, ns, "shared")
	g.Expect(nested(g, cm, "data", "key")).To(Equal("value-shared"))
	g.Expect(cm.GetLabels()).To(HaveKeyWithValue(drv1.LabelMapping, engine.MappingID(controllerNS, "conflict")))
	g.Expect(cm.GetAnnotations()).To(HaveKeyWithValue(drv1.AnnotationSource, "local/"+ns+"/shared"))
}
