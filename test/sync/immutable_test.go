package sync_test

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// TestImmutableFieldPolicy: a source change to an immutable field (a Deployment's selector) is
// reported and left under Skip, and carried out by delete-and-create under Recreate.
func TestImmutableFieldPolicy(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, g, "immutable")
	create(g, prod, deployment(ns, "web", 2))
	create(g, prod, mapping("immutable", ns, ns, func(m *drv1.NamespaceMapping) { m.Spec.ResourceTypes = []string{"deployments"} }))
	m := triggerSync(t, g, "immutable")
	g.Expect(m.Status.LastSyncStats.Created).To(BeEquivalentTo(1), failedNames(m))
	before := get(g, dr, gvkDeployment, ns, "web")

	// Replace the source Deployment with one whose selector differs.
	g.Expect(prod.Client.Delete(ctx, deployment(ns, "web", 2))).To(Succeed())
	g.Eventually(func() bool { return absent(prod, gvkDeployment, ns, "web") }).WithTimeout(timeout).WithPolling(interval).Should(BeTrue())
	v2 := deployment(ns, "web", 2)
	v2.Spec.Selector.MatchLabels["version"] = "v2"
	v2.Spec.Template.Labels["version"] = "v2"
	create(g, prod, v2)

	m = triggerSync(t, g, "immutable")
	f := failure(m, "Deployment", "web")
	g.Expect(f).NotTo(BeNil(), failedNames(m))
	g.Expect(f.Reason).To(Equal("Immutable"))
	g.Expect(f.Message).To(ContainSubstring("immutableFieldPolicy: Recreate"))
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseFailed))
	g.Expect(condition(m, drv1.ConditionReady).Reason).To(Equal(drv1.ReasonPartiallySucceeded))
	same := get(g, dr, gvkDeployment, ns, "web")
	g.Expect(same.GetUID()).To(Equal(before.GetUID()))
	g.Expect(nested(g, same, "spec", "selector", "matchLabels")).To(Equal(map[string]any{"app": "web"}))

	updateMapping(g, "immutable", func(m *drv1.NamespaceMapping) { m.Spec.ImmutableFieldPolicy = drv1.ImmutableRecreate })
	m = triggerSync(t, g, "immutable")
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced), failedNames(m))
	g.Expect(m.Status.LastSyncStats.Updated).To(BeEquivalentTo(1))
	after := get(g, dr, gvkDeployment, ns, "web")
	g.Expect(after.GetUID()).NotTo(Equal(before.GetUID()))
	g.Expect(nested(g, after, "spec", "selector", "matchLabels")).To(Equal(map[string]any{"app": "web", "version": "v2"}))
	g.Expect(nested(g, after, "spec", "replicas")).To(BeEquivalentTo(0))
}

// TestPVCStorage: a PVC is never shrunk in DR; growth is applied once the DR claim can be
// expanded (bound, and its storage class allows expansion).
//
// Observed on a bare API server: a storage change of an unbound claim is refused by validation
// (422 "spec: Forbidden: spec is immutable after creation except resources.requests and
// volumeAttributesClassName for bound claims"), so growth of an unbound DR claim is reported as a
// failure of that one object (reason ApplyFailed) and applied by the first sync after the claim
// is bound. The test binds the DR claim by hand, as a provisioner would; growing a bound claim
// also needs a storage class with allowVolumeExpansion (admission PersistentVolumeClaimResize).
func TestPVCStorage(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, g, "pvc-size")
	const class = "dr-test-expandable"
	sc := &storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: class}, Provisioner: "example.com/none", AllowVolumeExpansion: ptr.To(true)}
	create(g, dr, sc)
	t.Cleanup(func() { _ = dr.Client.Delete(context.Background(), sc) })

	replaceSource := func(size string) {
		pvc := &corev1.PersistentVolumeClaim{ObjectMeta: objMeta(ns, "data")}
		if err := prod.Client.Get(ctx, client.ObjectKeyFromObject(pvc), pvc); err == nil {
			// No controller removes the pvc-protection finalizer on a bare API server.
			g.Expect(prod.Client.Delete(ctx, pvc)).To(Succeed())
			g.Expect(prod.Client.Patch(ctx, pvc, client.RawPatch("application/merge-patch+json", []byte(`{"metadata":{"finalizers":null}}`)))).To(Succeed())
			g.Eventually(func() bool { return absent(prod, gvkPVC, ns, "data") }).WithTimeout(timeout).WithPolling(interval).Should(BeTrue())
		}
		create(g, prod, &corev1.PersistentVolumeClaim{ObjectMeta: objMeta(ns, "data"), Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}, StorageClassName: ptr.To(class),
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(size)}},
		}})
	}
	drSize := func() any {
		return nested(g, get(g, dr, gvkPVC, ns, "data"), "spec", "resources", "requests", "storage")
	}

	replaceSource("2Gi")
	create(g, prod, mapping("pvc-size", ns, ns, func(m *drv1.NamespaceMapping) { m.Spec.ResourceTypes = []string{"persistentvolumeclaims"} }))
	m := triggerSync(t, g, "pvc-size")
	g.Expect(m.Status.LastSyncStats.Created).To(BeEquivalentTo(1), failedNames(m))
	g.Expect(drSize()).To(Equal("2Gi"))

	// Shrink in the source: DR keeps its size, and that is not a failure.
	replaceSource("1Gi")
	m = triggerSync(t, g, "pvc-size")
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced), failedNames(m))
	g.Expect(drSize()).To(Equal("2Gi"))

	// Growth while the DR claim is unbound: refused by the API server, reported, nothing crashes.
	replaceSource("3Gi")
	m = triggerSync(t, g, "pvc-size")
	f := failure(m, "PersistentVolumeClaim", "data")
	g.Expect(f).NotTo(BeNil(), failedNames(m))
	g.Expect(f.Message).To(ContainSubstring("bound"))
	g.Expect(drSize()).To(Equal("2Gi"))

	// Once DR binds the claim, the next sync grows it.
	bound := &corev1.PersistentVolumeClaim{ObjectMeta: objMeta(ns, "data")}
	g.Expect(dr.Client.Get(ctx, client.ObjectKeyFromObject(bound), bound)).To(Succeed())
	bound.Status = corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimBound, AccessModes: bound.Spec.AccessModes,
		Capacity: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("2Gi")}}
	g.Expect(dr.Client.Status().Update(ctx, bound)).To(Succeed())
	m = triggerSync(t, g, "pvc-size")
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced), failedNames(m))
	g.Expect(drSize()).To(Equal("3Gi"))

	// And a later shrink of a bound claim is still never applied.
	replaceSource("1Gi")
	m = triggerSync(t, g, "pvc-size")
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced), failedNames(m))
	g.Expect(drSize()).To(Equal("3Gi"))
}
