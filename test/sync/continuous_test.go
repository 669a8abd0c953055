package sync_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

func continuousMapping(m *drv1.NamespaceMapping) { m.Spec.ReplicationMode = drv1.ModeContinuous }

// patchMapping applies a change to a mapping's spec.
func patchMapping(g Gomega, name string, change func(*drv1.NamespaceMapping)) {
	ctx := context.Background()
	m := &drv1.NamespaceMapping{}
	g.Expect(prod.Client.Get(ctx, client.ObjectKey{Namespace: controllerNS, Name: name}, m)).To(Succeed())
	patch := client.MergeFrom(m.DeepCopy())
	change(m)
	g.Expect(prod.Client.Patch(ctx, m, patch)).To(Succeed())
}

func configMapData(h interface {
	Get(context.Context, client.ObjectKey, client.Object, ...client.GetOption) error
}, ns, name string) func() string {
	return func() string {
		cm := &corev1.ConfigMap{}
		if err := h.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, cm); err != nil {
			return "<" + err.Error() + ">"
		}
		return cm.Data["key"]
	}
}

// TestContinuousReplication: create, update and delete in the source show up in DR object by
// object; hand edits and deletions in DR are repaired; status carries lastEventTime.
func TestContinuousReplication(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, g, "live")
	create(g, prod, configMap(ns, "existing"), deployment(ns, "api", 2))
	create(g, prod, mapping("live", ns, ns, continuousMapping))
	waitMapping(g, "live", func(m *drv1.NamespaceMapping) bool { return m.Status.Phase == drv1.PhaseSynced })
	g.Eventually(configMapData(dr.Client, ns, "existing")).WithTimeout(timeout).Should(Equal("value-existing"))

	// Create.
	create(g, prod, configMap(ns, "fresh"))
	g.Eventually(configMapData(dr.Client, ns, "fresh")).WithTimeout(5 * time.Second).Should(Equal("value-fresh"))
	// Update.
	cm := &corev1.ConfigMap{}
	g.Expect(prod.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "fresh"}, cm)).To(Succeed())
	cm.Data["key"] = "changed"
	g.Expect(prod.Client.Update(ctx, cm)).To(Succeed())
	g.Eventually(configMapData(dr.Client, ns, "fresh")).WithTimeout(5 * time.Second).Should(Equal("changed"))
	// Scale in the source: recorded, DR stays parked.
	dep := &appsv1.Deployment{}
	g.Expect(prod.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "api"}, dep)).To(Succeed())
	dep.Spec.Replicas = ptrInt32(7)
	g.Expect(prod.Client.Update(ctx, dep)).To(Succeed())
	g.Eventually(func() string {
		return get(g, dr, gvkDeployment, ns, "api").GetAnnotations()[drv1.AnnotationOriginalReplicas]
	}).WithTimeout(5 * time.Second).Should(Equal("7"))
	// Delete.
	g.Expect(prod.Client.Delete(ctx, cm)).To(Succeed())
	g.Eventually(func() bool { return absent(dr, gvkConfigMap, ns, "fresh") }).WithTimeout(5 * time.Second).Should(BeTrue())

	// A hand edit in DR is reverted within seconds, not at the next resync.
	drCM := &corev1.ConfigMap{}
	g.Expect(dr.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "existing"}, drCM)).To(Succeed())
	drCM.Data["key"] = "hand-edit"
	g.Expect(dr.Client.Update(ctx, drCM, client.FieldOwner("kubectl-edit"))).To(Succeed())
	g.Eventually(configMapData(dr.Client, ns, "existing")).WithTimeout(5 * time.Second).Should(Equal("value-existing"))
	// A deletion in DR is repaired.
	g.Expect(dr.Client.Delete(ctx, drCM)).To(Succeed())
	g.Eventually(configMapData(dr.Client, ns, "existing")).WithTimeout(5 * time.Second).Should(Equal("value-existing"))

	m := waitMapping(g, "live", func(m *drv1.NamespaceMapping) bool { return m.Status.LastEventTime != nil })
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced))
	g.Expect(m.Status.LastSyncTime).NotTo(BeNil())
}

// TestContinuousLifecycle: pause stops replication, unpause resumes it, a spec change restarts
// the watch for the new spec, the mode switches both ways, and 50 pause/unpause and spec-change
// cycles leave no goroutines behind.
func TestContinuousLifecycle(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, g, "cycle")
	other := newNamespace(t, g, "cycle-other")
	create(g, prod, configMap(ns, "a"), configMap(other, "b"))
	create(g, prod, mapping("cycle", ns, ns, continuousMapping))
	waitMapping(g, "cycle", func(m *drv1.NamespaceMapping) bool { return m.Status.Phase == drv1.PhaseSynced })

	// Pause: nothing replicates.
	patchMapping(g, "cycle", func(m *drv1.NamespaceMapping) { m.Spec.Paused = true })
	waitMapping(g, "cycle", func(m *drv1.NamespaceMapping) bool { return m.Status.Phase == drv1.PhasePaused })
	create(g, prod, configMap(ns, "while-paused"))
	g.Consistently(func() bool { return absent(dr, gvkConfigMap, ns, "while-paused") }).WithTimeout(2 * time.Second).Should(BeTrue())
	patchMapping(g, "cycle", func(m *drv1.NamespaceMapping) { m.Spec.Paused = false })
	g.Eventually(configMapData(dr.Client, ns, "while-paused")).WithTimeout(timeout).Should(Equal("value-while-paused"))

	// Spec change: the watch follows the new source namespace.
	patchMapping(g, "cycle", func(m *drv1.NamespaceMapping) { m.Spec.SourceNamespace = other; m.Spec.DestinationNamespace = other })
	g.Eventually(configMapData(dr.Client, other, "b")).WithTimeout(timeout).Should(Equal("value-b"))
	create(g, prod, configMap(other, "after-change"))
	g.Eventually(configMapData(dr.Client, other, "after-change")).WithTimeout(5 * time.Second).Should(Equal("value-after-change"))
	create(g, prod, configMap(ns, "old-namespace"))
	g.Consistently(func() bool { return absent(dr, gvkConfigMap, ns, "old-namespace") }).WithTimeout(2 * time.Second).Should(BeTrue())

	// Mode switch: Manual stops watching; Continuous starts again.
	patchMapping(g, "cycle", func(m *drv1.NamespaceMapping) { m.Spec.ReplicationMode = drv1.ModeManual })
	waitMapping(g, "cycle", func(m *drv1.NamespaceMapping) bool {
		return m.Status.ObservedGeneration == m.Generation && m.Status.Phase != drv1.PhaseSyncing
	})
	create(g, prod, configMap(other, "while-manual"))
	g.Consistently(func() bool { return absent(dr, gvkConfigMap, other, "while-manual") }).WithTimeout(2 * time.Second).Should(BeTrue())
	patchMapping(g, "cycle", func(m *drv1.NamespaceMapping) { m.Spec.ReplicationMode = drv1.ModeContinuous })
	g.Eventually(configMapData(dr.Client, other, "while-manual")).WithTimeout(timeout).Should(Equal("value-while-manual"))

	// Leak check: 50 cycles of pause/unpause and spec changes.
	settle := func() int {
		runtime.GC()
		return runtime.NumGoroutine()
	}
	waitMapping(g, "cycle", func(m *drv1.NamespaceMapping) bool { return m.Status.Phase == drv1.PhaseSynced })
	before := settle()
	for i := range 50 {
		patchMapping(g, "cycle", func(m *drv1.NamespaceMapping) {
			if i%2 == 0 {
				m.Spec.Paused = !m.Spec.Paused
			} else {
				m.Spec.ExcludeResourceTypes = []string{fmt.Sprintf("widgets%d.example.com", i)}
			}
		})
		waitMapping(g, "cycle", func(m *drv1.NamespaceMapping) bool {
			return m.Status.ObservedGeneration == m.Generation && m.Status.Phase != drv1.PhaseSyncing
		})
	}
	patchMapping(g, "cycle", func(m *drv1.NamespaceMapping) { m.Spec.Paused = false })
	waitMapping(g, "cycle", func(m *drv1.NamespaceMapping) bool {
		return m.Status.ObservedGeneration == m.Generation && m.Status.Phase == drv1.PhaseSynced
	})
	// Replication still works after the cycles.
	create(g, prod, configMap(other, "after-cycles"))
	g.Eventually(configMapData(dr.Client, other, "after-cycles")).WithTimeout(5 * time.Second).Should(Equal("value-after-cycles"))
	g.Eventually(settle).WithTimeout(20*time.Second).WithPolling(500*time.Millisecond).Should(BeNumerically("<=", before+10),
		"goroutines before the cycles: %d", before)
}

// TestContinuousFailedResyncStaysFailed: a full resync that fails for one type (one the
// destination does not serve) keeps Ready=False and its failure in status while the watcher
// replicates unrelated changes; lastSuccessfulSyncTime and the recovery-point metric stay at the
// last successful sync until a full resync succeeds again.
func TestContinuousFailedResyncStaysFailed(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	installCRD(t, g, prod, namespacedCRD("Doohickey", "doohickeys"))
	gvk := schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Doohickey"}
	ns := newNamespace(t, g, "resync-fail")
	create(g, prod, configMap(ns, "cm"))
	create(g, prod, mapping("resync-fail", ns, ns, continuousMapping))
	t.Cleanup(func() { deleteMapping(NewWithT(t), "resync-fail") })
	m := waitMapping(g, "resync-fail", func(m *drv1.NamespaceMapping) bool {
		return m.Status.Phase == drv1.PhaseSynced && m.Status.LastSuccessfulSyncTime != nil
	})
	good := m.Status.LastSuccessfulSyncTime.Time
	rpo := func(g Gomega) float64 {
		return mappingMetric(g, "drsyncer_namespacemapping_last_success_timestamp_seconds", "resync-fail")
	}
	g.Expect(rpo(g)).To(Equal(float64(good.Unix())))

	// A full resync fails for the Doohickeys.
	create(g, prod, widget(gvk, ns, "d1"))
	m = triggerSync(t, g, "resync-fail")
	g.Expect(failure(m, "Doohickey", "")).NotTo(BeNil(), failedNames(m))
	g.Expect(failure(m, "Doohickey", "").Reason).To(Equal("TypeNotServed"))
	g.Expect(condition(m, drv1.ConditionReady).Status).To(Equal(metav1.ConditionFalse))

	// The watcher replicates an unrelated change and reports it; over several status refreshes
	// (every 2s) the failure stays.
	changed := time.Now().Truncate(time.Second)
	create(g, prod, configMap(ns, "later"))
	g.Eventually(configMapData(dr.Client, ns, "later")).WithTimeout(timeout).Should(Equal("value-later"))
	waitMapping(g, "resync-fail", func(m *drv1.NamespaceMapping) bool {
		return m.Status.LastEventTime != nil && !m.Status.LastEventTime.Time.Before(changed)
	})
	g.Consistently(func(g Gomega) {
		m := getMapping(g, "resync-fail")
		g.Expect(condition(m, drv1.ConditionReady).Status).To(Equal(metav1.ConditionFalse))
		g.Expect(condition(m, drv1.ConditionReady).Reason).To(Equal(drv1.ReasonPartiallySucceeded))
		g.Expect(m.Status.Phase).To(Equal(drv1.PhaseFailed))
		g.Expect(failure(m, "Doohickey", "")).NotTo(BeNil(), failedNames(m))
		g.Expect(m.Status.LastSuccessfulSyncTime.Time).To(BeTemporally("==", good))
		g.Expect(rpo(g)).To(Equal(float64(good.Unix())))
	}).WithTimeout(6 * time.Second).WithPolling(250 * time.Millisecond).Should(Succeed())

	// A full resync that succeeds makes the mapping Ready and moves the recovery point.
	g.Expect(prod.Client.Delete(ctx, widget(gvk, ns, "d1"))).To(Succeed())
	m = triggerSync(t, g, "resync-fail")
	g.Expect(condition(m, drv1.ConditionReady).Status).To(Equal(metav1.ConditionTrue), failedNames(m))
	g.Expect(m.Status.FailedResources).To(BeEmpty())
	g.Expect(m.Status.LastSuccessfulSyncTime.Time).To(BeTemporally(">", good))
	g.Expect(rpo(g)).To(Equal(float64(m.Status.LastSuccessfulSyncTime.Unix())))
}
