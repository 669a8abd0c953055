package sync_test

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// TestAllocatedNodePortIsNotCopied: a nodePort the source API server allocated is left for the
// DR API server to allocate (there it may be taken); a nodePort someone chose is kept.
func TestAllocatedNodePortIsNotCopied(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, g, "nodeports")
	dest := ns + "-dr"
	chosen := nextNodePort()
	create(g, prod,
		&corev1.Service{ObjectMeta: objMeta(ns, "allocated"), Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort,
			Selector: map[string]string{"app": "web"}, Ports: []corev1.ServicePort{{Port: 80}}}},
		&corev1.Service{ObjectMeta: objMeta(ns, "chosen"), Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort,
			Selector: map[string]string{"app": "web"}, Ports: []corev1.ServicePort{{Port: 80, NodePort: chosen}}}},
	)
	src := &corev1.Service{}
	g.Expect(prod.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "allocated"}, src)).To(Succeed())
	allocated := src.Spec.Ports[0].NodePort
	g.Expect(allocated).NotTo(BeZero())

	// In DR, another Service holds the port the source allocated.
	create(g, dr, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: dest}},
		&corev1.Service{ObjectMeta: objMeta(dest, "holder"), Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort,
			Selector: map[string]string{"app": "other"}, Ports: []corev1.ServicePort{{Port: 80, NodePort: allocated}}}})

	create(g, prod, mapping("nodeports", ns, dest))
	m := triggerSync(t, g, "nodeports")
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced), failedNames(m))
	copied := &corev1.Service{}
	g.Expect(dr.Client.Get(ctx, client.ObjectKey{Namespace: dest, Name: "allocated"}, copied)).To(Succeed())
	g.Expect(copied.Spec.Ports[0].NodePort).NotTo(BeZero())
	g.Expect(copied.Spec.Ports[0].NodePort).NotTo(Equal(allocated), "DR allocates its own port")
	g.Expect(dr.Client.Get(ctx, client.ObjectKey{Namespace: dest, Name: "chosen"}, copied)).To(Succeed())
	g.Expect(copied.Spec.Ports[0].NodePort).To(Equal(chosen), "a chosen port is kept")

	// A resync keeps DR's port and writes nothing new.
	version := copied.ResourceVersion
	m = triggerSync(t, g, "nodeports")
	g.Expect(m.Status.LastSyncStats.Updated).To(BeZero(), failedNames(m))
	g.Expect(dr.Client.Get(ctx, client.ObjectKey{Namespace: dest, Name: "chosen"}, copied)).To(Succeed())
	g.Expect(copied.ResourceVersion).To(Equal(version))
}
