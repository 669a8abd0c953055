package cli_test

// Safety rules of the engine's write gate (issue 9) as the command line meets them.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// configMaps returns n ConfigMaps cm-0..cm-(n-1) in ns.
func configMaps(ns string, n int) []client.Object {
	out := make([]client.Object, n)
	for i := range n {
		out[i] = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cm-%d", i), Namespace: ns}, Data: map[string]string{"from": ns}}
	}
	return out
}

// TestCLIRefusesSameClusterUnderAnotherURL (finding 2): the flag form compares cluster identity,
// not server URLs: https://localhost:P and https://127.0.0.1:P are one cluster, and syncing a
// namespace onto itself is refused with exit 1, naming both sides, before anything is written.
func TestCLIRefusesSameClusterUnderAnotherURL(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(g, prod, "self")
	create(g, prod, workloads(ns)...)
	alias := filepath.Join(workDir, "prod-localhost.kubeconfig")
	data := bytes.ReplaceAll(prodTB.Kubeconfig, []byte("127.0.0.1"), []byte("localhost"))
	g.Expect(bytes.Equal(data, prodTB.Kubeconfig)).To(BeFalse())
	g.Expect(os.WriteFile(alias, data, 0o600)).To(Succeed())
	before := versions(g, prod, ns)

	for _, cmd := range []string{"sync", "plan", "cutover", "failback"} {
		r := drSyncer(t, cmd, "--source-kubeconfig", kubeconfigs["prod"], "--dest-kubeconfig", alias, "--source-namespace", ns)
		g.Expect(r.Code).To(Equal(1), "%s: %s", cmd, r)
		g.Expect(r.All()).To(ContainSubstring("same namespace "+ns+" of the same cluster"), cmd)
		g.Expect(r.All()).To(MatchRegexp(`source \S+/`+ns+` and destination \S+/`+ns), cmd)
	}
	g.Expect(versions(g, prod, ns)).To(Equal(before))
	expectState(g, prod, ns, running)
}

// TestFailbackStopsWhenDRCannotBePark (finding 3): with an admission policy in DR refusing to
// scale web to 0, failback exits 1, DR stays marked live and running, and production stays
// parked: nothing runs on both sides. Once the policy is gone, failback finishes.
func TestFailbackStopsWhenDRCannotBeParked(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(g, prod, "nopark")
	create(g, prod, workloads(ns)...)
	r := drSyncer(t, append([]string{"sync"}, flagForm(ns)...)...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	r = drSyncer(t, append([]string{"cutover"}, flagForm(ns)...)...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	expectState(g, dr, ns, running)
	expectState(g, prod, ns, parked)

	name := "deny-park-" + ns
	policy := &admissionregistrationv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			FailurePolicy: ptr.To(admissionregistrationv1.Fail),
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
				RuleWithOperations: admissionregistrationv1.RuleWithOperations{
					Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Update},
					Rule:       admissionregistrationv1.Rule{APIGroups: []string{"apps"}, APIVersions: []string{"v1"}, Resources: []string{"deployments"}},
				},
			}}},
			Validations: []admissionregistrationv1.Validation{{
				Expression: "object.metadata.name != 'web' || object.spec.replicas > 0",
				Message:    "web must keep running",
			}},
		},
	}
	binding := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName:        name,
			ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny},
			MatchResources: &admissionregistrationv1.MatchResources{NamespaceSelector: &metav1.LabelSelector{
				MatchLabels: map[string]string{corev1.LabelMetadataName: ns}}},
		},
	}
	create(g, dr, policy, binding)
	// The policy takes effect once the API server has loaded it: wait until a dry-run scale is refused.
	g.Eventually(func() error {
		dep := get(g, dr, gvkDeployment, ns, "web")
		_ = unstructured.SetNestedField(dep.Object, int64(0), "spec", "replicas")
		return dr.Client.Update(ctx, dep, client.DryRunAll)
	}).WithTimeout(timeout).Should(HaveOccurred())

	r = drSyncer(t, append([]string{"failback"}, flagForm(ns)...)...)
	g.Expect(r.Code).To(Equal(1), "%s", r)
	g.Expect(r.All()).To(ContainSubstring("could not be parked"))
	g.Expect(r.All()).To(ContainSubstring("web must keep running"))
	g.Expect(r.All()).To(ContainSubstring("re-run failback"))
	g.Expect(liveSince(g, dr, ns)).NotTo(BeEmpty(), "DR must stay marked live")
	g.Expect(nestedInt(g, get(g, prod, gvkDeployment, ns, "web"), "spec", "replicas")).To(BeEquivalentTo(0), "production must stay parked")
	g.Expect(nestedInt(g, get(g, dr, gvkDeployment, ns, "web"), "spec", "replicas")).To(BeEquivalentTo(3))

	g.Expect(dr.Client.Delete(ctx, binding)).To(Succeed())
	g.Expect(dr.Client.Delete(ctx, policy)).To(Succeed())
	g.Eventually(func() int {
		return drSyncer(t, append([]string{"failback"}, flagForm(ns)...)...).Code
	}).WithTimeout(timeout).Should(Equal(0))
	expectState(g, dr, ns, parked)
	expectState(g, prod, ns, running)
	g.Expect(liveSince(g, dr, ns)).To(BeEmpty())
}

// TestFlagFormSyncPrunesOnlyItsOwnCopies (finding 4): mappings A (nsA→shared) and B (nsB→shared)
// feed one DR namespace; the flag form for nsB takes its identity from the source, so A's copies
// are conflicts it reports and never updates or prunes.
func TestFlagFormSyncPrunesOnlyItsOwnCopies(t *testing.T) {
	g := NewWithT(t)
	a := newNamespace(g, prod, "feed-a")
	b := newNamespace(g, prod, "feed-b")
	shared := fmt.Sprintf("shared-%d", nsCounter.Add(1))
	create(g, prod, configMaps(a, 5)...)
	create(g, prod, configMaps(b, 5)...)
	ma := &drv1.NamespaceMapping{
		ObjectMeta: metav1.ObjectMeta{Name: a, Namespace: controllerNS},
		Spec:       drv1.NamespaceMappingSpec{DestinationCluster: drClusterRef, SourceNamespace: a, DestinationNamespace: shared, ReplicationMode: drv1.ModeManual},
	}
	create(g, prod, ma)
	r := drSyncer(t, "sync", "--mapping", controllerNS+"/"+a, "--kubeconfig", kubeconfigs["prod"])
	g.Expect(r.Code).To(Equal(0), "%s", r)
	before := versions(g, dr, shared)

	args := append([]string{"sync"}, flagForm(b)...)
	r = drSyncer(t, append(args, "--dest-namespace", shared)...)
	g.Expect(r.Stdout).To(ContainSubstring("0 deleted"))
	g.Expect(r.Stdout).To(ContainSubstring("5 conflicts"))
	g.Expect(r.All()).To(ContainSubstring(`belongs to mapping "` + controllerNS + "." + a + `"`))
	g.Expect(versions(g, dr, shared)).To(Equal(before), "A's copies were written")
	for i := range 5 {
		cm := &corev1.ConfigMap{}
		g.Expect(dr.Client.Get(context.Background(), client.ObjectKey{Namespace: shared, Name: fmt.Sprintf("cm-%d", i)}, cm)).To(Succeed())
		g.Expect(cm.Data["from"]).To(Equal(a))
	}
}

// TestCutoverFinalSyncDoesNotPrune (finding 11): a production namespace half deleted by the
// disaster is not mirrored into DR by the cutover's final sync; --prune asks for it.
func TestCutoverFinalSyncDoesNotPrune(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(g, prod, "halfgone")
	create(g, prod, workloads(ns)...)
	create(g, prod, configMaps(ns, 3)...)
	r := drSyncer(t, append([]string{"sync"}, flagForm(ns)...)...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	g.Expect(prod.Client.Delete(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cm-0", Namespace: ns}})).To(Succeed())

	r = drSyncer(t, append([]string{"cutover"}, flagForm(ns)...)...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	g.Expect(r.Stdout).To(ContainSubstring("0 deleted"))
	g.Expect(missing(dr, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cm-0", Namespace: ns}})).To(BeFalse(), "the final sync pruned")

	// The member not named: --prune with the --mapping form is accepted and prunes.
	ns2 := newNamespace(g, prod, "halfgone-m")
	create(g, prod, configMaps(ns2, 3)...)
	mapping(g, ns2, ns2)
	byMapping := []string{"--mapping", controllerNS + "/" + ns2, "--kubeconfig", kubeconfigs["prod"]}
	r = drSyncer(t, append([]string{"sync"}, byMapping...)...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	g.Expect(prod.Client.Delete(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cm-0", Namespace: ns2}})).To(Succeed())
	r = drSyncer(t, append([]string{"cutover", "--prune"}, byMapping...)...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	g.Expect(r.Stdout).To(ContainSubstring("1 deleted"))
	g.Expect(missing(dr, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cm-0", Namespace: ns2}})).To(BeTrue())
}
