package sync_test

import (
	"testing"

	. "github.com/onsi/gomega"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/transform"
)

// TestParkNetworkingToggled: an Ingress without a class is parked with the parked class and
// external-dns's annotation while parkNetworking is on; turned off, the next sync removes both
// and the record; turned on again, it is parked again.
func TestParkNetworkingToggled(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, g, "toggle")
	create(g, prod, &networkingv1.Ingress{ObjectMeta: objMeta(ns, "web"), Spec: networkingv1.IngressSpec{
		DefaultBackend: &networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "web", Port: networkingv1.ServiceBackendPort{Number: 80}}},
	}})
	create(g, prod, mapping("toggle", ns, ns, func(m *drv1.NamespaceMapping) {
		m.Spec.ResourceTypes = []string{"ingresses"}
		m.Spec.ParkNetworking = true
	}))
	t.Cleanup(func() { deleteMapping(NewWithT(t), "toggle") })
	type state struct {
		Class    any
		DNS      string
		Recorded bool
	}
	stateOf := func() state {
		i := get(g, dr, gvkIngress, ns, "web")
		c, _, _ := unstructured.NestedFieldNoCopy(i.Object, "spec", "ingressClassName")
		_, recorded := i.GetAnnotations()[drv1.AnnotationOriginalFields]
		return state{Class: c, DNS: i.GetAnnotations()[transform.ExternalDNSControllerAnnotation], Recorded: recorded}
	}
	parkedState := state{Class: transform.ParkedIngressClass, DNS: transform.ParkedIngressClass, Recorded: true}
	sync := func(on bool) {
		updateMapping(g, "toggle", func(m *drv1.NamespaceMapping) { m.Spec.ParkNetworking = on })
		m := triggerSync(t, g, "toggle")
		g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced), failedNames(m))
	}
	sync(true)
	g.Expect(stateOf()).To(Equal(parkedState))
	sync(false)
	g.Expect(stateOf()).To(Equal(state{}), "no class, no external-dns annotation, no record")
	sync(true)
	g.Expect(stateOf()).To(Equal(parkedState))
}
