package sync_test

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/ops"
	"github.com/dr-syncer/dr-syncer/internal/transform"
)

// TestStashedObjectsDrilledAndWaitedFor: a drill rehearses the cutover of stashed objects (the
// objects the stash Secrets hold are created, active, in the scratch namespace; the Secrets are
// not), and cutover hands the objects it created from their stash to --wait.
func TestStashedObjectsDrilledAndWaitedFor(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	crd := crdOf("dstash.example.com", "v1", "Broker", "brokers")
	installCRD(t, g, prod, crd)
	t.Cleanup(func() { removeCRD(t, dr, crd.Name) })
	gvk := schema.GroupVersionKind{Group: "dstash.example.com", Version: "v1", Kind: "Broker"}
	rule := parkingRule("dbrokers", "dstash.example.com", "Broker", func(s *drv1.ParkingRuleSpec) { s.Stash = true })
	deployRule := parkingRule("dstash-deployments", "apps", "Deployment", func(s *drv1.ParkingRuleSpec) { s.Stash = true })
	create(g, prod, rule, deployRule)
	t.Cleanup(func() {
		_ = prod.Client.Delete(ctx, rule)
		_ = prod.Client.Delete(ctx, deployRule)
	})
	ruleReady(g, "dbrokers", metav1.ConditionTrue)
	ruleReady(g, "dstash-deployments", metav1.ConditionTrue)

	ns := newNamespace(t, g, "dstash")
	b := widget(gvk, ns, "events")
	b.Object["spec"] = map[string]any{"partitions": int64(3)}
	create(g, prod, b, deployment(ns, "web", 2))
	create(g, prod, mapping("dstash", ns, ns, func(m *drv1.NamespaceMapping) {
		m.Spec.ResourceTypes = []string{crd.Name, "deployments"}
		m.Spec.SyncCRDs = true
	}))
	t.Cleanup(func() { deleteMapping(NewWithT(t), "dstash") })
	m := triggerSync(t, g, "dstash")
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced), failedNames(m))
	g.Expect(m.Status.LastSyncStats.Stashed).To(BeEquivalentTo(2))
	dr.Invalidate()

	// The drill: the held objects in the scratch namespace, the Deployment active and waited for.
	s := opsScope(ns, ns, "dstash")
	rep, err := ops.Drill(ctx, s, ops.DrillOptions{Keep: true, Timeout: 2 * time.Second})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(rep.Failed).To(BeEmpty())
	scratch := rep.Namespace
	expectReplicas(g, dr, gvkDeployment, scratch, "web", 2, "")
	g.Expect(nested(g, get(g, dr, gvk, scratch, "events"), "spec", "partitions")).To(BeEquivalentTo(3))
	var drilled []string
	for _, w := range rep.Workloads {
		drilled = append(drilled, w.Kind+"/"+w.Name)
	}
	g.Expect(drilled).To(ContainElements("Deployment/web", "Broker/events"), "the drill waits for what cutover --wait waits for")
	stashes := &corev1.SecretList{}
	g.Expect(dr.Client.List(ctx, stashes, client.InNamespace(scratch))).To(Succeed())
	for _, sec := range stashes.Items {
		g.Expect(string(sec.Type)).NotTo(Equal(transform.StashSecretType), "a stash is not copied into the scratch namespace")
	}
	// The drill wrote nothing in the DR namespace.
	g.Expect(absent(dr, gvkDeployment, ns, "web")).To(BeTrue())
	g.Expect(absent(dr, gvk, ns, "events")).To(BeTrue())

	// Cutover: what it created from the stash is what --wait waits for.
	cut := cutover(g, s)
	expectReplicas(g, dr, gvkDeployment, ns, "web", 2, "")
	var activated []string
	for _, a := range cut.Activated {
		activated = append(activated, a.Kind+"/"+a.Name)
	}
	g.Expect(activated).To(ContainElements("Deployment/web", "Broker/events"))
	_, err = ops.WaitReady(ctx, dr, ns, cut.Activated, ops.WaitOptions{Timeout: time.Second})
	g.Expect(err).To(MatchError(ops.ErrNotReady), "no controllers: the Deployment from the stash is waited for and does not come up")
}

// TestCutoverParksTheSourceOfAStashedWorkload: cutover creates a stashed Deployment in DR from
// its stash, so it parks the Deployment at the source first (built-in parking, recorded), as it
// does for every workload it activates: nothing runs on both sides. Failback restores it.
func TestCutoverParksTheSourceOfAStashedWorkload(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	rule := parkingRule("pstash-deployments", "apps", "Deployment", func(s *drv1.ParkingRuleSpec) { s.Stash = true })
	create(g, prod, rule)
	t.Cleanup(func() { _ = prod.Client.Delete(ctx, rule) })
	ruleReady(g, "pstash-deployments", metav1.ConditionTrue)
	ns := newNamespace(t, g, "pstash")
	create(g, prod, deployment(ns, "web", 2))
	create(g, prod, mapping("pstash", ns, ns, func(m *drv1.NamespaceMapping) { m.Spec.ResourceTypes = []string{"deployments"} }))
	t.Cleanup(func() { deleteMapping(NewWithT(t), "pstash") })
	m := triggerSync(t, g, "pstash")
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced), failedNames(m))
	g.Expect(absent(dr, gvkDeployment, ns, "web")).To(BeTrue())

	s := opsScope(ns, ns, "pstash")
	rep := cutover(g, s)
	expectReplicas(g, dr, gvkDeployment, ns, "web", 2, "")
	expectReplicas(g, prod, gvkDeployment, ns, "web", 0, "2")
	g.Expect(rep.Warnings).NotTo(ContainElement(ContainSubstring("did not park their source objects")), "%v", rep.Warnings)

	failback(g, s)
	expectReplicas(g, prod, gvkDeployment, ns, "web", 2, "")
	g.Eventually(func() bool { return absent(dr, gvkDeployment, ns, "web") }).WithTimeout(timeout).Should(BeTrue())
}
