package sync_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// quiet is how long a test watches for something that must not happen.
const quiet = 3 * time.Second

func getMapping(g Gomega, name string) *drv1.NamespaceMapping {
	m := &drv1.NamespaceMapping{}
	g.Expect(prod.Client.Get(context.Background(), client.ObjectKey{Namespace: controllerNS, Name: name}, m)).To(Succeed())
	return m
}

// setData changes the data of a source ConfigMap.
func setData(g Gomega, ns, name, value string) {
	cm := configMap(ns, name)
	g.Expect(prod.Client.Get(context.Background(), client.ObjectKeyFromObject(cm), cm)).To(Succeed())
	cm.Data["key"] = value
	g.Expect(prod.Client.Update(context.Background(), cm)).To(Succeed())
}

func drData(g Gomega, ns, name string) any {
	return nested(g, get(g, dr, gvkConfigMap, ns, name), "data", "key")
}

// TestManualSyncNow: in Manual mode every new sync-now value syncs once; the same value again,
// or any other metadata change, does not.
func TestManualSyncNow(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, g, "manual")
	create(g, prod, configMap(ns, "a"))
	create(g, prod, mapping("manual", ns, ns, func(m *drv1.NamespaceMapping) { m.Spec.ResourceTypes = []string{"configmaps"} }))
	first := triggerSync(t, g, "manual")
	value := first.Annotations[drv1.AnnotationSyncNow]
	g.Expect(drData(g, ns, "a")).To(Equal("value-a"))

	setData(g, ns, "a", "changed")
	updateMapping(g, "manual", func(m *drv1.NamespaceMapping) {
		m.Annotations[drv1.AnnotationSyncNow] = value
		m.Annotations["note"] = "touched"
	})
	g.Consistently(func(g Gomega) {
		m := getMapping(g, "manual")
		g.Expect(m.Status.LastSyncTime).To(Equal(first.Status.LastSyncTime))
		g.Expect(m.Status.LastHandledSyncRequest).To(Equal(value))
		g.Expect(drData(g, ns, "a")).To(Equal("value-a"))
	}).WithTimeout(quiet).WithPolling(200 * time.Millisecond).Should(Succeed())

	m := triggerSync(t, g, "manual")
	g.Expect(m.Status.LastSyncTime.After(first.Status.LastSyncTime.Time)).To(BeTrue())
	g.Expect(m.Status.LastSyncStats.Updated).To(BeEquivalentTo(1))
	g.Expect(m.Status.NextSyncTime).To(BeNil(), "Manual mode has no next sync")
	g.Expect(drData(g, ns, "a")).To(Equal("changed"))
}

// TestStatusWritesDoNotRetrigger: after a sync the controller's own status write does not start
// another reconcile that writes again: the mapping stays exactly as it is.
func TestStatusWritesDoNotRetrigger(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, g, "quiet")
	create(g, prod, configMap(ns, "a"))
	create(g, prod, mapping("quiet", ns, ns, func(m *drv1.NamespaceMapping) { m.Spec.ResourceTypes = []string{"configmaps"} }))
	synced := triggerSync(t, g, "quiet")
	setData(g, ns, "a", "changed")
	g.Consistently(func(g Gomega) {
		m := getMapping(g, "quiet")
		g.Expect(m.ResourceVersion).To(Equal(synced.ResourceVersion))
		g.Expect(m.Status.LastSyncTime).To(Equal(synced.Status.LastSyncTime))
		g.Expect(drData(g, ns, "a")).To(Equal("value-a"))
	}).WithTimeout(quiet).WithPolling(200 * time.Millisecond).Should(Succeed())
}

// TestScheduledMode: a Scheduled mapping syncs on its schedule without any request. The most
// frequent schedule allowed is once a minute, so this test takes up to a minute.
func TestScheduledMode(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, g, "scheduled")
	create(g, prod, configMap(ns, "a"))
	create(g, prod, mapping("scheduled", ns, ns, func(m *drv1.NamespaceMapping) {
		m.Spec.ReplicationMode = drv1.ModeScheduled
		m.Spec.Schedule = "* * * * *"
		m.Spec.ResourceTypes = []string{"configmaps"}
	}))
	t.Cleanup(func() { deleteMapping(NewWithT(t), "scheduled") })
	first := waitMapping(g, "scheduled", func(m *drv1.NamespaceMapping) bool {
		return m.Status.LastSyncTime != nil && m.Status.Phase == drv1.PhaseSynced
	})
	g.Expect(first.Status.NextSyncTime).NotTo(BeNil())
	g.Expect(first.Status.NextSyncTime.After(first.Status.LastSyncTime.Time)).To(BeTrue())
	get(g, dr, gvkConfigMap, ns, "a")

	create(g, prod, configMap(ns, "later"))
	g.Eventually(func() bool { return !absent(dr, gvkConfigMap, ns, "later") }).WithTimeout(75 * time.Second).WithPolling(interval).Should(BeTrue())
	later := waitMapping(g, "scheduled", func(m *drv1.NamespaceMapping) bool {
		return m.Status.LastSyncTime.After(first.Status.LastSyncTime.Time) && m.Status.Phase == drv1.PhaseSynced
	})
	g.Expect(later.Status.NextSyncTime).NotTo(BeNil())
	g.Expect(later.Status.LastHandledSyncRequest).To(BeEmpty(), "no request was made")
	g.Expect(condition(later, drv1.ConditionReady).Status).To(Equal(metav1.ConditionTrue))
}

// TestPaused: a paused mapping reports Paused and syncs nothing, not even on request; unpausing
// carries out the pending request.
func TestPaused(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, g, "paused")
	create(g, prod, configMap(ns, "a"))
	create(g, prod, mapping("paused", ns, ns, func(m *drv1.NamespaceMapping) { m.Spec.ResourceTypes = []string{"configmaps"} }))
	triggerSync(t, g, "paused")

	updateMapping(g, "paused", func(m *drv1.NamespaceMapping) { m.Spec.Paused = true })
	m := waitMapping(g, "paused", func(m *drv1.NamespaceMapping) bool { return m.Status.Phase == drv1.PhasePaused })
	ready := condition(m, drv1.ConditionReady)
	g.Expect(ready.Status).To(Equal(metav1.ConditionFalse))
	g.Expect(ready.Reason).To(Equal(drv1.ReasonPaused))

	create(g, prod, configMap(ns, "b"))
	updateMapping(g, "paused", func(m *drv1.NamespaceMapping) { m.Annotations[drv1.AnnotationSyncNow] = "during-pause" })
	g.Consistently(func(g Gomega) {
		m := getMapping(g, "paused")
		g.Expect(m.Status.Phase).To(Equal(drv1.PhasePaused))
		g.Expect(m.Status.LastHandledSyncRequest).NotTo(Equal("during-pause"))
		g.Expect(absent(dr, gvkConfigMap, ns, "b")).To(BeTrue())
	}).WithTimeout(quiet).WithPolling(200 * time.Millisecond).Should(Succeed())

	updateMapping(g, "paused", func(m *drv1.NamespaceMapping) { m.Spec.Paused = false })
	m = waitMapping(g, "paused", func(m *drv1.NamespaceMapping) bool {
		return m.Status.LastHandledSyncRequest == "during-pause" && m.Status.Phase == drv1.PhaseSynced
	})
	g.Expect(condition(m, drv1.ConditionReady).Status).To(Equal(metav1.ConditionTrue))
	get(g, dr, gvkConfigMap, ns, "b")
}

// TestInvalidSchedule: a schedule that passes the CRD's 5-field check but is no valid cron
// expression stalls the mapping with a message naming the field.
func TestInvalidSchedule(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, g, "badcron")
	create(g, prod, mapping("bad-cron", ns, ns, func(m *drv1.NamespaceMapping) {
		m.Spec.ReplicationMode = drv1.ModeScheduled
		m.Spec.Schedule = "61 * * * *"
	}))
	t.Cleanup(func() { deleteMapping(NewWithT(t), "bad-cron") })
	m := waitMapping(g, "bad-cron", func(m *drv1.NamespaceMapping) bool {
		c := condition(m, drv1.ConditionStalled)
		return c != nil && c.Status == metav1.ConditionTrue
	})
	stalled := condition(m, drv1.ConditionStalled)
	g.Expect(stalled.Reason).To(Equal(drv1.ReasonInvalidSpec))
	g.Expect(stalled.Message).To(ContainSubstring("spec.schedule"))
	g.Expect(condition(m, drv1.ConditionReady).Status).To(Equal(metav1.ConditionFalse))
	g.Expect(condition(m, drv1.ConditionReady).Reason).To(Equal(drv1.ReasonInvalidSpec))
	g.Expect(m.Status.LastSyncTime).To(BeNil())
	g.Expect(absent(dr, gvkNamespace, "", ns)).To(BeTrue())

	// Fixing the spec clears Stalled and the mapping syncs.
	updateMapping(g, "bad-cron", func(m *drv1.NamespaceMapping) { m.Spec.Schedule = "@every 1h" })
	m = waitMapping(g, "bad-cron", func(m *drv1.NamespaceMapping) bool {
		return m.Status.LastSyncTime != nil && m.Status.Phase == drv1.PhaseSynced
	})
	g.Expect(condition(m, drv1.ConditionStalled)).To(BeNil())
	get(g, dr, gvkNamespace, "", ns)
}

// TestSourceNamespaceMissing: a sync of a namespace that does not exist fails as a whole with
// reason SourceNamespaceNotFound and writes nothing.
func TestSourceNamespaceMissing(t *testing.T) {
	g := NewWithT(t)
	ns := fmt.Sprintf("not-yet-%d", nsCounter.Add(1))
	create(g, prod, mapping("missing-src", ns, ns))
	t.Cleanup(func() { deleteMapping(NewWithT(t), "missing-src") })
	m := triggerSync(t, g, "missing-src")
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseFailed))
	ready := condition(m, drv1.ConditionReady)
	g.Expect(ready.Status).To(Equal(metav1.ConditionFalse))
	g.Expect(ready.Reason).To(Equal(drv1.ReasonSourceNamespaceNotFound))
	g.Expect(ready.Message).To(ContainSubstring(ns))
	g.Expect(absent(dr, gvkNamespace, "", ns)).To(BeTrue())

	// A sync that could not run is retried with backoff: once the namespace exists, it syncs
	// without another request.
	create(g, prod, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
	m = waitMapping(g, "missing-src", func(m *drv1.NamespaceMapping) bool { return m.Status.Phase == drv1.PhaseSynced })
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced), failedNames(m))
	g.Expect(condition(m, drv1.ConditionReady).Status).To(Equal(metav1.ConditionTrue))
	get(g, dr, gvkNamespace, "", ns)
}
