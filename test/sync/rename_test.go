package sync_test

import (
	"testing"

	. "github.com/onsi/gomega"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

var gvkNetworkPolicy = schema.GroupVersionKind{Group: "networking.k8s.io", Version: "v1", Kind: "NetworkPolicy"}

// TestNetworkPolicyFollowsRename: namespaceSelectors that name the source namespace
// (kubernetes.io/metadata.name, matchLabels and matchExpressions, ingress and egress) name the
// DR namespace in the copy; selectors of other namespaces stay.
func TestNetworkPolicyFollowsRename(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, g, "netpol")
	dest := ns + "-dr"
	const nameLabel = "kubernetes.io/metadata.name"
	byName := func(name string) networkingv1.NetworkPolicyPeer {
		return networkingv1.NetworkPolicyPeer{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{nameLabel: name}}}
	}
	create(g, prod, &networkingv1.NetworkPolicy{ObjectMeta: objMeta(ns, "web"), Spec: networkingv1.NetworkPolicySpec{
		PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
		Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{
			byName(ns), byName("monitoring"),
			{NamespaceSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
				Key: nameLabel, Operator: metav1.LabelSelectorOpIn, Values: []string{ns, "ingress"},
			}}}},
		}}},
		Egress:      []networkingv1.NetworkPolicyEgressRule{{To: []networkingv1.NetworkPolicyPeer{byName(ns)}}},
		PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress},
	}})
	create(g, prod, mapping("netpol", ns, dest))
	m := triggerSync(t, g, "netpol")
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced), failedNames(m))

	np := get(g, dr, gvkNetworkPolicy, dest, "web")
	from := nested(g, np, "spec", "ingress").([]any)[0].(map[string]any)["from"].([]any)
	selector := func(peer any) map[string]any { return peer.(map[string]any)["namespaceSelector"].(map[string]any) }
	g.Expect(selector(from[0])["matchLabels"]).To(Equal(map[string]any{nameLabel: dest}))
	g.Expect(selector(from[1])["matchLabels"]).To(Equal(map[string]any{nameLabel: "monitoring"}))
	g.Expect(selector(from[2])["matchExpressions"].([]any)[0].(map[string]any)["values"]).To(Equal([]any{dest, "ingress"}))
	to := nested(g, np, "spec", "egress").([]any)[0].(map[string]any)["to"].([]any)
	g.Expect(selector(to[0])["matchLabels"]).To(Equal(map[string]any{nameLabel: dest}))
}
