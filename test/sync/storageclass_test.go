package sync_test

import (
	"testing"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// TestStorageClassMappingsApplyToClaimTemplates: storageClassMappings rename the classes of a
// StatefulSet's volumeClaimTemplates and of generic ephemeral volumes, as they do for PVCs.
func TestStorageClassMappingsApplyToClaimTemplates(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, g, "classes")
	claim := func(class string) corev1.PersistentVolumeClaimSpec {
		return corev1.PersistentVolumeClaimSpec{StorageClassName: ptr.To(class), AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}}}
	}
	tmpl := podTemplate("db")
	tmpl.Spec.Volumes = []corev1.Volume{{Name: "scratch", VolumeSource: corev1.VolumeSource{Ephemeral: &corev1.EphemeralVolumeSource{
		VolumeClaimTemplate: &corev1.PersistentVolumeClaimTemplate{Spec: claim("fast-prod")},
	}}}}
	create(g, prod, &appsv1.StatefulSet{ObjectMeta: objMeta(ns, "db"), Spec: appsv1.StatefulSetSpec{
		Replicas: ptr.To[int32](1), ServiceName: "db",
		Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}}, Template: tmpl,
		VolumeClaimTemplates: []corev1.PersistentVolumeClaim{
			{ObjectMeta: metav1.ObjectMeta{Name: "data"}, Spec: claim("fast-prod")},
			{ObjectMeta: metav1.ObjectMeta{Name: "logs"}, Spec: claim("standard")},
		},
	}})
	create(g, prod, mapping("classes", ns, ns, func(m *drv1.NamespaceMapping) {
		m.Spec.PVCConfig = drv1.PVCConfig{StorageClassMappings: []drv1.StorageClassMapping{{From: "fast-prod", To: "fast-dr"}}}
	}))
	m := triggerSync(t, g, "classes")
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced), failedNames(m))

	db := get(g, dr, gvkStatefulSet, ns, "db")
	templates := nested(g, db, "spec", "volumeClaimTemplates").([]any)
	class := func(claim any) any { return claim.(map[string]any)["spec"].(map[string]any)["storageClassName"] }
	g.Expect(class(templates[0])).To(Equal("fast-dr"))
	g.Expect(class(templates[1])).To(Equal("standard"))
	volume := nested(g, db, "spec", "template", "spec", "volumes").([]any)[0].(map[string]any)
	g.Expect(class(volume["ephemeral"].(map[string]any)["volumeClaimTemplate"])).To(Equal("fast-dr"))
}
