package cli_test

// Reproductions from the hostile review of the issue 9 safety work (branch review9). Each test
// names the behaviour the safety rules promise; it fails while the finding stands.

import (
	"context"
	"fmt"
	"testing"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// TestFlagFormPruneDripIsGuarded: "one delete guard for every delete path ... a window a slow
// drip cannot slip through" (docs/concepts.md, Safety rules, CLI sync). Two `sync --prune`
// runs of the flag form, each deleting 10 copies (the guard's minimum), take all 20 of the
// mapping's copies; the controller's guard would hold the second run.
func TestFlagFormPruneDripIsGuarded(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(g, prod, "drip")
	create(g, prod, configMaps(ns, 20)...)
	args := append([]string{"sync", "--prune"}, flagForm(ns)...)
	r := drSyncer(t, args...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	copies := func() int {
		l := &corev1.ConfigMapList{}
		g.Expect(dr.Client.List(ctx, l, client.InNamespace(ns), client.HasLabels{drv1.LabelMapping})).To(Succeed())
		return len(l.Items)
	}
	g.Expect(copies()).To(Equal(20))

	for round := range 2 {
		for i := range 10 {
			g.Expect(prod.Client.Delete(ctx, configMaps(ns, 20)[round*10+i])).To(Succeed())
		}
		r = drSyncer(t, args...)
		t.Logf("round %d: %s", round, r)
	}
	g.Expect(copies()).To(BeNumerically(">=", 10), "two runs of 10 deletions each took every copy; last run: %s", fmt.Sprint(r))
}

// TestFlagFormIdentityIncludesTheSourceCluster: the flag form's mapping ID is cli.<source
// namespace>, the same for namespace "shop" of every cluster. Two source clusters with a
// namespace of one name, synced into one DR namespace, are two mappings: `sync --prune` from
// one must not prune the other's copies as its own.
func TestFlagFormIdentityIncludesTheSourceCluster(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(g, prod, "twin")
	g.Expect(dr.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
	shared := fmt.Sprintf("merged-%d", nsCounter.Add(1))
	create(g, prod, configMaps(ns, 5)...)
	r := drSyncer(t, append([]string{"sync", "--prune"}, append(flagForm(ns), "--dest-namespace", shared)...)...)
	g.Expect(r.Code).To(Equal(0), "%s", r)

	// The same namespace name in another cluster (here the DR cluster itself), into the same
	// DR namespace: it has none of prod's objects.
	other := []string{"sync", "--prune", "--source-kubeconfig", kubeconfigs["both"], "--source-context", "dr",
		"--dest-kubeconfig", kubeconfigs["both"], "--dest-context", "dr", "--source-namespace", ns, "--dest-namespace", shared}
	r = drSyncer(t, other...)
	t.Logf("%s", r)
	for i := range 5 {
		cm := &corev1.ConfigMap{}
		g.Expect(dr.Client.Get(ctx, client.ObjectKey{Namespace: shared, Name: fmt.Sprintf("cm-%d", i)}, cm)).To(Succeed(),
			"prod's copy cm-%d was pruned by the flag form of another cluster's namespace %s", i, ns)
	}
}

// deploymentIn returns a running Deployment named name in ns.
func deploymentIn(ns, name string, replicas int32) *appsv1.Deployment {
	return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Spec: appsv1.DeploymentSpec{
		Replicas: ptr.To(replicas), Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "x"}}, Template: podSpec()}}
}

// twoMappingsInto creates Manual mappings a→shared and b→shared (Deployment api in a, web in
// b) and syncs both.
func twoMappingsInto(t *testing.T, g Gomega, a, b, shared string) {
	create(g, prod, deploymentIn(a, "api", 2), deploymentIn(b, "web", 3))
	for _, ns := range []string{a, b} {
		create(g, prod, &drv1.NamespaceMapping{
			ObjectMeta: metav1.ObjectMeta{Name: ns, Namespace: controllerNS},
			Spec:       drv1.NamespaceMappingSpec{DestinationCluster: drClusterRef, SourceNamespace: ns, DestinationNamespace: shared, ReplicationMode: drv1.ModeManual},
		})
		r := drSyncer(t, "sync", "--mapping", controllerNS+"/"+ns, "--kubeconfig", kubeconfigs["prod"])
		g.Expect(r.Code).To(Equal(0), "%s", r)
	}
}

// TestCutoverNeverActivatesAWorkloadWhoseSourceItDidNotPark: mappings A (nsA→shared) and B
// (nsB→shared) feed one DR namespace. `cutover --mapping A` parks only nsA's workloads, so it
// must not activate B's copies: their source in nsB keeps running, and B's workload would run
// on both sides ("Cutover does not activate a DR workload whose source it could not park").
func TestCutoverNeverActivatesAWorkloadWhoseSourceItDidNotPark(t *testing.T) {
	g := NewWithT(t)
	a := newNamespace(g, prod, "cut-a")
	b := newNamespace(g, prod, "cut-b")
	shared := fmt.Sprintf("cut-shared-%d", nsCounter.Add(1))
	twoMappingsInto(t, g, a, b, shared)
	g.Expect(nestedInt(g, get(g, dr, gvkDeployment, shared, "web"), "spec", "replicas")).To(BeEquivalentTo(0))

	r := drSyncer(t, "cutover", "--mapping", controllerNS+"/"+a, "--kubeconfig", kubeconfigs["prod"])
	t.Logf("%s", r)
	g.Expect(nestedInt(g, get(g, dr, gvkDeployment, shared, "api"), "spec", "replicas")).To(BeEquivalentTo(2), "A's workload comes live in DR")
	g.Expect(nestedInt(g, get(g, prod, gvkDeployment, a, "api"), "spec", "replicas")).To(BeEquivalentTo(0), "A's source is parked")
	srcWeb := nestedInt(g, get(g, prod, gvkDeployment, b, "web"), "spec", "replicas")
	drWeb := nestedInt(g, get(g, dr, gvkDeployment, shared, "web"), "spec", "replicas")
	g.Expect(srcWeb > 0 && drWeb > 0).To(BeFalse(), "B's web runs on both sides: %d replicas in prod/%s, %d in dr/%s", srcWeb, b, drWeb, shared)
}

// TestFailbackOfOneMappingKeepsTheOtherRunning: A (nsA→shared) and B (nsB→shared) were both cut
// over. `failback --mapping A` brings A home; B must keep running somewhere. It parks every
// DR workload of the namespace (B's too), removes the namespace's live mark and restores only
// nsA: B is then parked on both sides.
func TestFailbackOfOneMappingKeepsTheOtherRunning(t *testing.T) {
	g := NewWithT(t)
	a := newNamespace(g, prod, "fb-a")
	b := newNamespace(g, prod, "fb-b")
	shared := fmt.Sprintf("fb-shared-%d", nsCounter.Add(1))
	twoMappingsInto(t, g, a, b, shared)
	for _, ns := range []string{a, b} {
		r := drSyncer(t, "cutover", "--mapping", controllerNS+"/"+ns, "--kubeconfig", kubeconfigs["prod"])
		g.Expect(r.Code).To(Equal(0), "%s", r)
	}
	g.Expect(nestedInt(g, get(g, dr, gvkDeployment, shared, "web"), "spec", "replicas")).To(BeEquivalentTo(3), "B is live in DR")

	r := drSyncer(t, "failback", "--mapping", controllerNS+"/"+a, "--kubeconfig", kubeconfigs["prod"])
	t.Logf("%s", r)
	g.Expect(nestedInt(g, get(g, prod, gvkDeployment, a, "api"), "spec", "replicas")).To(BeEquivalentTo(2), "A is home")
	srcWeb := nestedInt(g, get(g, prod, gvkDeployment, b, "web"), "spec", "replicas")
	drWeb := nestedInt(g, get(g, dr, gvkDeployment, shared, "web"), "spec", "replicas")
	g.Expect(srcWeb+drWeb).To(BeNumerically(">", 0), "B runs nowhere after failback of A: %d replicas in prod/%s, %d in dr/%s", srcWeb, b, drWeb, shared)
	g.Expect(liveSince(g, dr, shared)).NotTo(BeEmpty(), "B's copies still serve production: the namespace stays live")

	// Then B comes home too, and the namespace is no longer live.
	r = drSyncer(t, "failback", "--mapping", controllerNS+"/"+b, "--kubeconfig", kubeconfigs["prod"])
	g.Expect(r.Code).To(Equal(0), "%s", r)
	g.Expect(nestedInt(g, get(g, prod, gvkDeployment, b, "web"), "spec", "replicas")).To(BeEquivalentTo(3))
	g.Expect(nestedInt(g, get(g, dr, gvkDeployment, shared, "web"), "spec", "replicas")).To(BeEquivalentTo(0))
	g.Expect(liveSince(g, dr, shared)).To(BeEmpty())
}

// TestReverseSyncCopiesBackOnlyItsOwnMapping: failback --reverse-sync of mapping A copies A's
// objects from the shared DR namespace into nsA, never mapping B's (which would then be
// restored and started in A's production namespace).
func TestReverseSyncCopiesBackOnlyItsOwnMapping(t *testing.T) {
	g := NewWithT(t)
	a := newNamespace(g, prod, "rev-a")
	b := newNamespace(g, prod, "rev-b")
	shared := fmt.Sprintf("rev-shared-%d", nsCounter.Add(1))
	twoMappingsInto(t, g, a, b, shared)
	r := drSyncer(t, "cutover", "--mapping", controllerNS+"/"+a, "--kubeconfig", kubeconfigs["prod"])
	g.Expect(r.Code).To(Equal(0), "%s", r)
	r = drSyncer(t, "failback", "--reverse-sync", "--mapping", controllerNS+"/"+a, "--kubeconfig", kubeconfigs["prod"])
	g.Expect(r.Code).To(Equal(0), "%s", r)
	g.Expect(missing(prod, deploymentIn(a, "web", 0))).To(BeTrue(), "B's web was copied into A's namespace %s: %s", a, r)
	g.Expect(nestedInt(g, get(g, prod, gvkDeployment, a, "api"), "spec", "replicas")).To(BeEquivalentTo(2))
}
