package sync_test

import (
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/cluster"
	"github.com/dr-syncer/dr-syncer/internal/transform"
)

// TestParkNetworking: with parkNetworking, an Ingress gets a class no controller serves and a
// LoadBalancer Service becomes ClusterIP in DR, both out of external-dns's reach; cutover
// restores them (and parks the source the same way), failback the reverse. Without it they are
// copied as they are.
func TestParkNetworking(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, g, "edge")
	ing := &networkingv1.Ingress{ObjectMeta: objMeta(ns, "web"), Spec: networkingv1.IngressSpec{
		IngressClassName: ptr.To("nginx"),
		DefaultBackend:   &networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "web", Port: networkingv1.ServiceBackendPort{Number: 80}}},
	}}
	lb := &corev1.Service{ObjectMeta: objMeta(ns, "web"), Spec: corev1.ServiceSpec{
		Type: corev1.ServiceTypeLoadBalancer, Selector: map[string]string{"app": "web"},
		ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyLocal,
		Ports:                 []corev1.ServicePort{{Port: 80, Protocol: corev1.ProtocolTCP}},
	}}
	create(g, prod, ing, lb)

	create(g, prod, mapping("edge-plain", ns, ns+"-plain", func(m *drv1.NamespaceMapping) {
		m.Spec.ResourceTypes = []string{"ingresses", "services"}
	}))
	m := triggerSync(t, g, "edge-plain")
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced), failedNames(m))
	g.Expect(nested(g, get(g, dr, gvkIngress, ns+"-plain", "web"), "spec", "ingressClassName")).To(Equal("nginx"), "off by default")
	g.Expect(nested(g, get(g, dr, gvkService, ns+"-plain", "web"), "spec", "type")).To(Equal("LoadBalancer"))

	create(g, prod, mapping("edge", ns, ns, func(m *drv1.NamespaceMapping) {
		m.Spec.ResourceTypes = []string{"ingresses", "services"}
		m.Spec.ParkNetworking = true
	}))
	m = triggerSync(t, g, "edge")
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced), failedNames(m))

	type state struct{ Class, Type, DNS, Policy any }
	stateOf := func(h *cluster.Handle) state {
		i, s := get(g, h, gvkIngress, ns, "web"), get(g, h, gvkService, ns, "web")
		policy, _, _ := unstructured.NestedFieldNoCopy(s.Object, "spec", "externalTrafficPolicy")
		return state{nested(g, i, "spec", "ingressClassName"), nested(g, s, "spec", "type"),
			i.GetAnnotations()[transform.ExternalDNSControllerAnnotation] + "," + s.GetAnnotations()[transform.ExternalDNSControllerAnnotation], policy}
	}
	parkedState := state{transform.ParkedIngressClass, "ClusterIP", transform.ParkedIngressClass + "," + transform.ParkedIngressClass, nil}
	liveState := state{"nginx", "LoadBalancer", ",", "Local"}
	g.Expect(stateOf(dr)).To(Equal(parkedState))
	g.Expect(get(g, dr, gvkService, ns, "web").GetAnnotations()).To(HaveKey(drv1.AnnotationOriginalFields))

	s := opsScope(ns, ns, "edge")
	cutover(g, s)
	g.Expect(stateOf(dr)).To(Equal(liveState))
	g.Expect(stateOf(prod)).To(Equal(parkedState))

	failback(g, s)
	g.Expect(stateOf(dr)).To(Equal(parkedState))
	g.Expect(stateOf(prod)).To(Equal(liveState))
	g.Expect(get(g, prod, gvkService, ns, "web").GetAnnotations()).NotTo(HaveKey(drv1.AnnotationOriginalFields))
}
