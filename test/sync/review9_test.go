package sync_test

// Reproductions from the hostile review of the issue 9 safety work (branch review9). Each test
// names the behaviour the safety rules promise; it fails while the finding stands.

import (
	"context"
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/engine"
)

// TestContinuousGuardCountsOnlyOwnedCopies: the Continuous delete guard's denominator is the
// mapping's managed objects (label AND source annotation), as in a full sync. Objects in DR
// that merely carry the mapping's label (an operator copying its resource's labels, finding 7)
// must not make a loss of every copy look like a small one.
func TestContinuousGuardCountsOnlyOwnedCopies(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, g, "guard-denom")
	for i := range 15 {
		create(g, prod, configMap(ns, fmt.Sprintf("cm-%02d", i)))
	}
	create(g, prod, mapping("guard-denom", ns, ns, continuousMapping, func(m *drv1.NamespaceMapping) {
		m.Spec.ResourceTypes = []string{"configmaps"}
	}))
	waitMapping(g, "guard-denom", func(m *drv1.NamespaceMapping) bool { return m.Status.Phase == drv1.PhaseSynced })
	owned := func() int {
		l := &corev1.ConfigMapList{}
		g.Expect(dr.Client.List(ctx, l, client.InNamespace(ns), client.HasLabels{drv1.LabelMapping})).To(Succeed())
		n := 0
		for i := range l.Items {
			if engine.Owns(&l.Items[i], engine.MappingID(controllerNS, "guard-denom")) {
				n++
			}
		}
		return n
	}
	g.Eventually(owned).WithTimeout(timeout).Should(Equal(15))

	// An operator in DR labels 30 objects of its own with the mapping's label (not copies).
	id := engine.MappingID(controllerNS, "guard-denom")
	for i := range 30 {
		create(g, dr, configMap(ns, fmt.Sprintf("operator-%02d", i), drv1.LabelMapping, id))
	}

	// Someone deletes every source object at once: 15 of the mapping's 15 copies would go.
	for i := range 15 {
		g.Expect(prod.Client.Delete(ctx, configMap(ns, fmt.Sprintf("cm-%02d", i)))).To(Succeed())
	}
	g.Consistently(owned).WithTimeout(3*engine.DeleteSettle+time.Second).WithPolling(interval).Should(BeNumerically(">=", 7),
		"the Continuous guard let more than half of the mapping's copies go")
	waitMapping(g, "guard-denom", func(m *drv1.NamespaceMapping) bool {
		return meta.IsStatusConditionTrue(m.Status.Conditions, drv1.ConditionPruneBlocked)
	})
}

// TestRecreateNeverTakesOverAnObjectThatAppeared: immutableFieldPolicy: Recreate deletes the
// mapping's copy and creates it again. An object of the same name that someone else creates in
// between (an operator, a person) is not the mapping's: like a plain create, the recreate must
// fail rather than force-apply over it.
func TestRecreateNeverTakesOverAnObjectThatAppeared(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, g, "recreate-race")
	immutable := func(value string) *corev1.ConfigMap {
		cm := configMap(ns, "cfg")
		cm.Immutable = ptr.To(true)
		cm.Data["key"] = value
		return cm
	}
	create(g, prod, immutable("v1"))
	create(g, prod, mapping("recreate-race", ns, ns, func(m *drv1.NamespaceMapping) {
		m.Spec.ResourceTypes = []string{"configmaps"}
		m.Spec.ImmutableFieldPolicy = drv1.ImmutableRecreate
	}))
	m := triggerSync(t, g, "recreate-race")
	g.Expect(m.Status.LastSyncStats.Created).To(BeEquivalentTo(1), failedNames(m))

	// Hold the DR copy's deletion with a finalizer so the window is observable.
	copyCM := &corev1.ConfigMap{}
	g.Expect(dr.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "cfg"}, copyCM)).To(Succeed())
	copyCM.Finalizers = []string{"example.com/hold"}
	g.Expect(dr.Client.Update(ctx, copyCM)).To(Succeed())

	// The source changes an immutable field.
	g.Expect(prod.Client.Delete(ctx, immutable("v1"))).To(Succeed())
	g.Eventually(func() bool { return absent(prod, gvkConfigMap, ns, "cfg") }).WithTimeout(timeout).WithPolling(interval).Should(BeTrue())
	create(g, prod, immutable("v2"))

	// Trigger the sync without waiting for it.
	cur := &drv1.NamespaceMapping{}
	g.Expect(prod.Client.Get(ctx, client.ObjectKey{Namespace: controllerNS, Name: "recreate-race"}, cur)).To(Succeed())
	patch := client.MergeFrom(cur.DeepCopy())
	request := fmt.Sprintf("t-%d", time.Now().UnixNano())
	cur.Annotations = map[string]string{drv1.AnnotationSyncNow: request}
	g.Expect(prod.Client.Patch(ctx, cur, patch)).To(Succeed())

	// The recreate deleted the copy; it waits for it to be gone.
	g.Eventually(func(g Gomega) {
		g.Expect(dr.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "cfg"}, copyCM)).To(Succeed())
		g.Expect(copyCM.DeletionTimestamp).NotTo(BeNil())
	}).WithTimeout(timeout).WithPolling(20 * time.Millisecond).Should(Succeed())

	// Someone else's object of that name appears the moment the copy is gone.
	copyCM.Finalizers = nil
	g.Expect(dr.Client.Update(ctx, copyCM)).To(Succeed())
	theirs := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "cfg", Labels: map[string]string{"owner": "operator"}},
		Data: map[string]string{"key": "operator-value"}}
	for {
		err := dr.Client.Create(ctx, theirs.DeepCopy())
		if err == nil {
			break
		}
		g.Expect(apierrors.IsAlreadyExists(err)).To(BeTrue(), "%v", err)
		got := &corev1.ConfigMap{}
		if err := dr.Client.Get(ctx, client.ObjectKeyFromObject(theirs), got); err == nil && got.DeletionTimestamp == nil {
			t.Skip("dr-syncer recreated its copy before the foreign object could be created; the race went the other way this time")
		}
	}

	m = waitMapping(g, "recreate-race", func(m *drv1.NamespaceMapping) bool {
		return m.Status.LastHandledSyncRequest == request && m.Status.Phase != drv1.PhaseSyncing
	})
	f := failure(m, "ConfigMap", "cfg")
	g.Expect(f).NotTo(BeNil(), failedNames(m))
	g.Expect(f.Message).To(ContainSubstring("appeared after the delete"))
	got := &corev1.ConfigMap{}
	g.Expect(dr.Client.Get(ctx, client.ObjectKeyFromObject(theirs), got)).To(Succeed())
	g.Expect(got.Labels).NotTo(HaveKey(drv1.LabelMapping), "dr-syncer took over an object it did not create")
	g.Expect(got.Data).To(Equal(map[string]string{"key": "operator-value"}), "dr-syncer overwrote an object it did not create")
}

// TestContinuousGuardLiftsWhenTheSourceIsRestored: a burst of source deletions trips the
// Continuous delete guard; the operator restores the source instead of releasing the prune.
// After the next full sync nothing is held any more: PruneBlocked goes and stays away, and a
// later single deletion is replicated like any other, not held for another resync interval.
func TestContinuousGuardLiftsWhenTheSourceIsRestored(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, g, "guard-restore")
	for i := range 30 {
		create(g, prod, configMap(ns, fmt.Sprintf("cm-%02d", i)))
	}
	create(g, prod, mapping("guard-restore", ns, ns, continuousMapping, func(m *drv1.NamespaceMapping) {
		m.Spec.ResourceTypes = []string{"configmaps"}
	}))
	waitMapping(g, "guard-restore", func(m *drv1.NamespaceMapping) bool { return m.Status.Phase == drv1.PhaseSynced })
	g.Eventually(func() bool { return absent(dr, gvkConfigMap, ns, "cm-29") }).WithTimeout(timeout).Should(BeFalse())

	// An accident: two thirds of the source deleted; the guard holds the copies.
	for i := range 20 {
		g.Expect(prod.Client.Delete(ctx, configMap(ns, fmt.Sprintf("cm-%02d", i)))).To(Succeed())
	}
	waitMapping(g, "guard-restore", func(m *drv1.NamespaceMapping) bool {
		return meta.IsStatusConditionTrue(m.Status.Conditions, drv1.ConditionPruneBlocked)
	})
	// Undone: the source is restored, and a full sync runs.
	for i := range 20 {
		create(g, prod, configMap(ns, fmt.Sprintf("cm-%02d", i)))
	}
	m := triggerSync(t, g, "guard-restore")
	g.Expect(m.Status.LastSyncStats.Deleted).To(BeZero())

	// A normal deletion afterwards is replicated, and nothing is reported as held.
	g.Expect(prod.Client.Delete(ctx, configMap(ns, "cm-29"))).To(Succeed())
	g.Eventually(func() bool { return absent(dr, gvkConfigMap, ns, "cm-29") }).WithTimeout(4*engine.DeleteSettle).WithPolling(interval).Should(BeTrue(),
		"a single deletion after the source was restored is still held by the guard")
	g.Consistently(func(g Gomega) bool {
		m := &drv1.NamespaceMapping{}
		g.Expect(prod.Client.Get(ctx, client.ObjectKey{Namespace: controllerNS, Name: "guard-restore"}, m)).To(Succeed())
		return meta.IsStatusConditionTrue(m.Status.Conditions, drv1.ConditionPruneBlocked)
	}).WithTimeout(3 * time.Second).WithPolling(interval).Should(BeFalse())
}
