package cli_test

// Reproductions of the review of issue 13 (disaster-day trust): each test fails on the merge
// 69deb48 and says what the administrator was told and what was true.

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/testbed/harness"
)

// TestReview13FlagFormCutoverShowsMappingLive follows line 3 of docs' disaster-day recipe: the
// flag-form cutover brings DR live, but the NamespaceMapping that writes into that namespace is
// not paused, so the controller only finds out at its next scheduled sync. Until then status
// and kubectl get nsmap say Synced, Ready=True, no Live Since, and the live gauge is 0.
func TestReview13FlagFormCutoverShowsMappingLive(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(g, prod, "r13live")
	create(g, prod, workloads(ns)...)
	m := &drv1.NamespaceMapping{
		ObjectMeta: metav1.ObjectMeta{Name: ns, Namespace: controllerNS},
		Spec: drv1.NamespaceMappingSpec{DestinationCluster: drClusterRef, SourceNamespace: ns,
			ReplicationMode: drv1.ModeScheduled, Schedule: "0 0 1 1 *"},
	}
	create(g, prod, m)
	g.Eventually(func() drv1.Phase { return getMapping(g, prod, controllerNS, ns).Status.Phase }).
		WithTimeout(timeout).WithPolling(interval).Should(Equal(drv1.PhaseSynced))

	r := drSyncer(t, append([]string{"cutover"}, flagForm(ns)...)...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	g.Expect(liveSince(g, dr, ns)).NotTo(BeEmpty())

	g.Eventually(func() drv1.Phase { return getMapping(g, prod, controllerNS, ns).Status.Phase }).
		WithTimeout(45*time.Second).WithPolling(interval).Should(Equal(drv1.PhaseLive), // the controller looks every 30s
		"after the recipe's flag-form cutover the mapping still reports %s", getMapping(g, prod, controllerNS, ns).Status.Phase)
}

// TestReview13FlagFormCutoverFinalSyncIsNotSilentlyEmpty: with a NamespaceMapping in place
// (every DR object carries its mapping label), the flag form's final sync meets only conflicts
// and copies nothing; the cutover still says "done", exit 0, no warning, and DR comes live
// with the last sync's data although the source answered.
func TestReview13FlagFormCutoverFinalSyncIsNotSilentlyEmpty(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(g, prod, "r13final")
	create(g, prod, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "settings", Namespace: ns}, Data: map[string]string{"v": "1"}})
	mapping(g, ns, ns)
	r := drSyncer(t, "trigger", ns, "--wait", "--kubeconfig", kubeconfigs["prod"])
	g.Expect(r.Code).To(Equal(0), "%s", r)

	cm := &corev1.ConfigMap{}
	g.Expect(prod.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "settings"}, cm)).To(Succeed())
	cm.Data["v"] = "2" // the last change before the disaster
	g.Expect(prod.Client.Update(ctx, cm)).To(Succeed())

	r = drSyncer(t, append([]string{"cutover"}, flagForm(ns)...)...)
	drCM := &corev1.ConfigMap{}
	g.Expect(dr.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "settings"}, drCM)).To(Succeed())
	if drCM.Data["v"] != "2" {
		g.Expect(r.Code != 0 || len(lines(r.Stdout, "warning")) > 0).To(BeTrue(),
			"the final sync copied nothing (DR has v=%s, the source v=2) and cutover said nothing:\n%s", drCM.Data["v"], r)
	}
}

// TestReview13CutoverRefusesMisspelledResourceTypes: plan and sync refuse --resource-types
// Deploymnet with exit 1; cutover and failback run a final or reverse sync of no type at all
// and exit 0.
func TestReview13CutoverRefusesMisspelledResourceTypes(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(g, prod, "r13types")
	create(g, prod, workloads(ns)...)
	r := drSyncer(t, append([]string{"sync"}, flagForm(ns)...)...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	for _, cmd := range []string{"cutover", "failback"} {
		r = drSyncer(t, append([]string{cmd, "--dry-run", "--reverse-sync", "--resource-types", "Deploymnet"}, flagForm(ns)...)...)
		if cmd == "cutover" {
			r = drSyncer(t, append([]string{cmd, "--dry-run", "--resource-types", "Deploymnet"}, flagForm(ns)...)...)
		}
		g.Expect(r.Code).To(Equal(1), "%s --resource-types Deploymnet: %s", cmd, r)
		g.Expect(r.All()).To(ContainSubstring(`did you mean "Deployment"`), "%s", cmd)
	}
}

// TestReview13LiveMappingStaysLiveWhileDRIsUnreachable: a mapping that cutover paused and whose
// DR namespace is live turns into phase Paused with "syncing is paused: set spec.paused to false
// to resume" (the very message of the issue) as soon as the controller cannot read the DR
// namespace (its RemoteCluster unreachable): status.liveSince is dropped, the live gauge goes to
// 0 and the alerts that exclude live mappings fire.
func TestReview13LiveMappingStaysLiveWhileDRIsUnreachable(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(g, prod, "r13down")
	create(g, prod, workloads(ns)...)
	rc := ns + "-dr"
	g.Expect(harness.RegisterRemoteCluster(ctx, prod.Client, controllerNS, rc, drTB)).To(Succeed())
	g.Expect(harness.WaitReady(ctx, prod.Client, controllerNS, rc, timeout)).To(Succeed())
	create(g, prod, &drv1.NamespaceMapping{
		ObjectMeta: metav1.ObjectMeta{Name: ns, Namespace: controllerNS},
		Spec:       drv1.NamespaceMappingSpec{DestinationCluster: rc, SourceNamespace: ns, ReplicationMode: drv1.ModeManual},
	})
	r := drSyncer(t, "trigger", ns, "--wait", "--kubeconfig", kubeconfigs["prod"])
	g.Expect(r.Code).To(Equal(0), "%s", r)
	r = drSyncer(t, "cutover", "--mapping", controllerNS+"/"+ns, "--kubeconfig", kubeconfigs["prod"])
	g.Expect(r.Code).To(Equal(0), "%s", r)
	g.Eventually(func() drv1.Phase { return getMapping(g, prod, controllerNS, ns).Status.Phase }).
		WithTimeout(timeout).WithPolling(interval).Should(Equal(drv1.PhaseLive))

	// The DR API server becomes unreachable for the controller (here: its Secret names a dead
	// address; on the day: a network partition between the clusters).
	cfg, err := clientcmd.Load(drTB.Kubeconfig)
	g.Expect(err).NotTo(HaveOccurred())
	for _, c := range cfg.Clusters {
		c.Server = "https://127.0.0.1:1"
	}
	data, err := clientcmd.Write(*cfg)
	g.Expect(err).NotTo(HaveOccurred())
	secret := &corev1.Secret{}
	g.Expect(prod.Client.Get(ctx, client.ObjectKey{Namespace: controllerNS, Name: rc + "-kubeconfig"}, secret)).To(Succeed())
	secret.Data["kubeconfig"] = data
	g.Expect(prod.Client.Update(ctx, secret)).To(Succeed())

	g.Consistently(func() string {
		m := getMapping(g, prod, controllerNS, ns)
		c := meta.FindStatusCondition(m.Status.Conditions, drv1.ConditionReady)
		msg := ""
		if c != nil {
			msg = c.Message
		}
		return string(m.Status.Phase) + ": " + msg
	}).WithTimeout(20*time.Second).WithPolling(interval).Should(HavePrefix(string(drv1.PhaseLive)+":"),
		"DR is still live (nothing failed back); the mapping must not tell the administrator to unpause it")
}

// TestReview13FailbackKeepsAPauseNoCutoverRecorded: the recipe's first cutover is the flag form
// (the controller's cluster may be down), which pauses and records nothing. A mapping the
// administrator had paused is then unpaused by failback --mapping: with no record, failback
// takes "not recorded" for "was running".
func TestReview13FailbackKeepsAPauseNoCutoverRecorded(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(g, prod, "r13held")
	create(g, prod, workloads(ns)...)
	m := mapping(g, ns, ns)
	byMapping := []string{"--mapping", controllerNS + "/" + ns, "--kubeconfig", kubeconfigs["prod"]}
	g.Expect(drSyncer(t, append([]string{"sync"}, byMapping...)...).Code).To(Equal(0))
	base := getMapping(g, prod, controllerNS, m.Name)
	paused := base.DeepCopy()
	paused.Spec.Paused = true
	g.Expect(prod.Client.Patch(ctx, paused, client.MergeFrom(base))).To(Succeed())

	r := drSyncer(t, append([]string{"cutover"}, flagForm(ns)...)...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	dry := drSyncer(t, append([]string{"failback", "--dry-run"}, byMapping...)...)
	g.Expect(dry.Code).To(Equal(0), "%s", dry)
	r = drSyncer(t, append([]string{"failback"}, byMapping...)...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	g.Expect(getMapping(g, prod, controllerNS, m.Name).Spec.Paused).To(BeTrue(),
		"failback unpaused a mapping the administrator had paused and no cutover had paused:\n%s", r.Stdout)
}
