package cli_test

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/cluster"
	"github.com/dr-syncer/dr-syncer/internal/ops"
	"github.com/dr-syncer/dr-syncer/internal/testbed"
)

// expectState checks the parked or running state of the workloads of ns in h.
func expectState(g Gomega, h *cluster.Handle, ns string, want workloadState) {
	g.Expect(stateOf(g, h, ns)).To(Equal(want), "workloads of %s/%s", h.Name, ns)
}

func liveSince(g Gomega, h *cluster.Handle, ns string) string {
	n := &corev1.Namespace{}
	g.Expect(h.Client.Get(context.Background(), client.ObjectKey{Name: ns}, n)).To(Succeed())
	return n.Annotations[ops.AnnotationLiveSince]
}

// eventReasons lists the reasons of the events.k8s.io Events in ns about kind/name.
func eventReasons(g Gomega, h *cluster.Handle, ns, kind, name string) []string {
	list := &eventsv1.EventList{}
	g.Expect(h.Client.List(context.Background(), list, client.InNamespace(ns))).To(Succeed())
	var out []string
	for _, e := range list.Items {
		if e.Regarding.Kind == kind && e.Regarding.Name == name {
			out = append(out, e.Reason)
		}
	}
	return out
}

// TestCutoverAndFailback: both clusters up, the --mapping form against the controller's
// cluster: cutover pauses the mapping, parks the source and activates DR; a second cutover
// changes nothing; failback (and failback --reverse-sync) restore both sides.
func TestCutoverAndFailback(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(g, prod, "shop")
	create(g, prod, workloads(ns)...)
	create(g, prod, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "settings", Namespace: ns}, Data: map[string]string{"mode": "prod"}})
	mapping(g, ns, ns)
	ref := controllerNS + "/" + ns
	byMapping := []string{"--mapping", ref, "--kubeconfig", kubeconfigs["prod"]}

	r := drSyncer(t, append([]string{"sync"}, byMapping...)...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	expectState(g, dr, ns, parked)
	// The flag form has its own identity (cli.<namespace>): the mapping's copies are conflicts it
	// reports and never writes.
	r = drSyncer(t, "plan", "--source-kubeconfig", kubeconfigs["prod"], "--dest-kubeconfig", kubeconfigs["dr"], "--source-namespace", ns)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	g.Expect(r.Stdout).To(ContainSubstring("Plan: 0 to create, 0 to update, 0 to delete, 0 unchanged, 5 conflicts"))

	// --dry-run prints the steps and writes nothing.
	prodBefore, drBefore := versions(g, prod, ns), versions(g, dr, ns)
	r = drSyncer(t, append([]string{"cutover", "--dry-run"}, byMapping...)...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	g.Expect(r.Stdout).To(ContainSubstring("(dry run) NamespaceMapping " + ref + ": pause"))
	g.Expect(r.Stdout).To(ContainSubstring("(dry run) Deployment web: replicas=3 → replicas=0"))
	g.Expect(r.Stdout).To(ContainSubstring("(dry run) Deployment web: replicas=0 → replicas=3"))
	g.Expect(r.Stdout).To(MatchRegexp(`dry run: cutover would make \d+ changes; nothing was written`))
	g.Expect(versions(g, prod, ns)).To(Equal(prodBefore))
	g.Expect(versions(g, dr, ns)).To(Equal(drBefore))
	g.Expect(getMapping(g, prod, controllerNS, ns).Spec.Paused).To(BeFalse())

	r = drSyncer(t, append([]string{"cutover"}, byMapping...)...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	for _, want := range []string{
		"[1/5] pause the NamespaceMappings", "NamespaceMapping " + ref + ": pause (spec.paused=true)",
		"[2/5] final sync", "Synced: 0 created, 0 updated, 0 deleted, 5 unchanged",
		"[3/5] mark namespace " + ns + " in dr live",
		"[4/5] park the source workloads", "CronJob nightly: suspend=false → suspend=true",
		"DaemonSet agent: nodeSelector={disk=ssd} → nodeSelector={dr-syncer.io/parked=true}",
		"[5/5] activate the DR workloads", "StatefulSet db: replicas=0 → replicas=2",
		"cutover done: 10 changes",
	} {
		g.Expect(r.Stdout).To(ContainSubstring(want))
	}
	expectState(g, dr, ns, running)
	expectState(g, prod, ns, parked)
	g.Expect(get(g, prod, gvkDeployment, ns, "web").GetAnnotations()).To(HaveKeyWithValue(drv1.AnnotationOriginalReplicas, "3"))
	g.Expect(get(g, prod, gvkCronJob, ns, "nightly").GetAnnotations()).To(HaveKeyWithValue(drv1.AnnotationOriginalSuspend, "false"))
	g.Expect(getMapping(g, prod, controllerNS, ns).Spec.Paused).To(BeTrue())
	g.Expect(liveSince(g, dr, ns)).NotTo(BeEmpty())
	g.Eventually(func() drv1.Phase { return getMapping(g, prod, controllerNS, ns).Status.Phase }).
		WithTimeout(10 * time.Second).WithPolling(interval).Should(Equal(drv1.PhaseLive))
	ready := meta.FindStatusCondition(getMapping(g, prod, controllerNS, ns).Status.Conditions, drv1.ConditionReady)
	g.Expect(ready.Reason).To(Equal(drv1.ReasonDestinationLive))
	g.Expect(ready.Message).To(ContainSubstring("is live since " + liveSince(g, dr, ns)))
	g.Expect(ready.Message).To(ContainSubstring("dr-syncer failback --mapping " + ref))
	g.Expect(eventReasons(g, prod, controllerNS, "NamespaceMapping", ns)).To(ContainElements("CutoverStarted", "CutoverCompleted"), "%s", r)
	g.Expect(eventReasons(g, dr, ns, "Namespace", ns)).To(ContainElements("CutoverStarted", "CutoverCompleted"), "%s", r)

	// Again: nothing to do, nothing written on either side.
	prodBefore, drBefore = versions(g, prod, ns), versions(g, dr, ns)
	mappingVersion := getMapping(g, prod, controllerNS, ns).ResourceVersion
	r = drSyncer(t, append([]string{"cutover"}, byMapping...)...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	g.Expect(r.Stdout).To(ContainSubstring("already paused"))
	g.Expect(r.Stdout).To(ContainSubstring("skipped: DR has been live since"))
	g.Expect(r.Stdout).To(ContainSubstring("cutover done: nothing to change"))
	g.Expect(versions(g, prod, ns)).To(Equal(prodBefore))
	g.Expect(versions(g, dr, ns)).To(Equal(drBefore))
	g.Expect(getMapping(g, prod, controllerNS, ns).ResourceVersion).To(Equal(mappingVersion))

	// Failback: DR parked, the source back at its recorded counts, the records gone, resumed.
	r = drSyncer(t, append([]string{"failback"}, byMapping...)...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	g.Expect(r.Stdout).To(ContainSubstring("Deployment web: replicas=3 → replicas=0"))
	g.Expect(r.Stdout).To(ContainSubstring("NamespaceMapping " + ref + ": unpause"))
	expectState(g, dr, ns, parked)
	expectState(g, prod, ns, running)
	g.Expect(get(g, prod, gvkDeployment, ns, "web").GetAnnotations()).NotTo(HaveKey(drv1.AnnotationOriginalReplicas))
	g.Expect(get(g, dr, gvkDeployment, ns, "web").GetAnnotations()).To(HaveKeyWithValue(drv1.AnnotationOriginalReplicas, "3"))
	g.Expect(getMapping(g, prod, controllerNS, ns).Spec.Paused).To(BeFalse())
	g.Expect(getMapping(g, prod, controllerNS, ns).Annotations).NotTo(HaveKey(drv1.AnnotationPausedBeforeCutover))
	g.Expect(liveSince(g, dr, ns)).To(BeEmpty())
	g.Expect(eventReasons(g, dr, ns, "Namespace", ns)).To(ContainElement("FailbackCompleted"))
	g.Expect(eventReasons(g, prod, controllerNS, "NamespaceMapping", ns)).To(ContainElement("FailbackCompleted"))
	g.Eventually(func() drv1.Phase { return getMapping(g, prod, controllerNS, ns).Status.Phase }).
		WithTimeout(timeout).WithPolling(interval).ShouldNot(Equal(drv1.PhaseLive))
	prodBefore, drBefore = versions(g, prod, ns), versions(g, dr, ns)
	r = drSyncer(t, append([]string{"failback"}, byMapping...)...)
	g.Expect(r.Stdout).To(ContainSubstring("failback done: nothing to change"), "%s", r)
	g.Expect(versions(g, prod, ns)).To(Equal(prodBefore))
	g.Expect(versions(g, dr, ns)).To(Equal(drBefore))

	// Cutover again, DR changes while live, failback --reverse-sync takes the changes home.
	g.Expect(drSyncer(t, append([]string{"cutover"}, byMapping...)...).Code).To(Equal(0))
	web := get(g, dr, gvkDeployment, ns, "web")
	g.Expect(unstructured.SetNestedField(web.Object, int64(5), "spec", "replicas")).To(Succeed())
	g.Expect(dr.Client.Update(ctx, web)).To(Succeed())
	settings := get(g, dr, gvkConfigMap, ns, "settings")
	g.Expect(unstructured.SetNestedField(settings.Object, "changed-in-dr", "data", "mode")).To(Succeed())
	g.Expect(dr.Client.Update(ctx, settings)).To(Succeed())
	// Created by hand in DR: not dr-syncer's, so not copied back.
	create(g, dr, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "dr-local", Namespace: ns}})

	r = drSyncer(t, append([]string{"failback", "--reverse-sync"}, byMapping...)...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	g.Expect(r.Stdout).To(ContainSubstring("[1/5] reverse sync dr/" + ns + " → local/" + ns))
	g.Expect(r.Stderr).To(ContainSubstring("reverse sync: 5 objects to plan and write"))
	want := running
	want.webReplicas = 5
	expectState(g, prod, ns, want)
	expectState(g, dr, ns, parked)
	g.Expect(get(g, prod, gvkConfigMap, ns, "settings").Object["data"]).To(HaveKeyWithValue("mode", "changed-in-dr"))
	g.Expect(missing(prod, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "dr-local", Namespace: ns}})).To(BeTrue())
	g.Expect(get(g, prod, gvkDeployment, ns, "web").GetAnnotations()).NotTo(HaveKey(drv1.AnnotationOriginalReplicas))
	g.Expect(getMapping(g, prod, controllerNS, ns).Spec.Paused).To(BeFalse())

	// The mapping's next sync copies prod, now with DR's changes, into a parked DR again.
	r = drSyncer(t, append([]string{"plan"}, byMapping...)...)
	g.Expect(r.Code).To(Equal(2), "%s", r)
	g.Expect(row(r.Stdout, "update", "Deployment", "web")).To(BeTrue(), "%s", r)
	g.Expect(drSyncer(t, append([]string{"sync"}, byMapping...)...).Code).To(Equal(0))
	g.Expect(get(g, dr, gvkDeployment, ns, "web").GetAnnotations()).To(HaveKeyWithValue(drv1.AnnotationOriginalReplicas, "5"))
	expectState(g, dr, ns, parked)
}

// TestCutoverWithSourceDown stops a source control plane for good and brings DR live from the
// DR cluster alone, with the controller's cluster being DR itself (--mapping form) and with
// kubeconfigs (flag form).
func TestCutoverWithSourceDown(t *testing.T) {
	g := NewWithT(t)
	planes, err := testbed.Start(testbed.Options{}, "lost")
	g.Expect(err).NotTo(HaveOccurred())
	lostTB := planes[0]
	t.Cleanup(func() { _ = lostTB.Stop() })
	lost, err := cluster.New("lost", lostTB.Config)
	g.Expect(err).NotTo(HaveOccurred())
	lostKubeconfig := t.TempDir() + "/lost.kubeconfig"
	g.Expect(writeFile(lostKubeconfig, lostTB.Kubeconfig)).To(Succeed())

	// The controller's objects live in DR: RemoteClusters for the lost source and for DR itself.
	const opsNS = "dr-ops"
	create(g, dr, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: opsNS}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "lost", Namespace: opsNS}, Data: map[string][]byte{"kubeconfig": lostTB.Kubeconfig}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "self", Namespace: opsNS}, Data: map[string][]byte{"kubeconfig": drTB.Kubeconfig}},
		&drv1.RemoteCluster{ObjectMeta: metav1.ObjectMeta{Name: "lost", Namespace: opsNS},
			Spec: drv1.RemoteClusterSpec{KubeconfigSecretRef: drv1.SecretKeyReference{Name: "lost"}}},
		&drv1.RemoteCluster{ObjectMeta: metav1.ObjectMeta{Name: "self", Namespace: opsNS},
			Spec: drv1.RemoteClusterSpec{KubeconfigSecretRef: drv1.SecretKeyReference{Name: "self"}}})
	byMapping := newNamespace(g, lost, "by-mapping")
	byFlags := newNamespace(g, lost, "by-flags")
	create(g, lost, workloads(byMapping)...)
	create(g, lost, workloads(byFlags)...)
	create(g, dr, &drv1.NamespaceMapping{ObjectMeta: metav1.ObjectMeta{Name: "shop", Namespace: opsNS},
		Spec: drv1.NamespaceMappingSpec{SourceCluster: "lost", DestinationCluster: "self", SourceNamespace: byMapping, ReplicationMode: drv1.ModeManual}})
	mappingArgs := []string{"--mapping", opsNS + "/shop", "--kubeconfig", kubeconfigs["dr"]}
	flagArgs := []string{"--source-kubeconfig", lostKubeconfig, "--dest-kubeconfig", kubeconfigs["dr"], "--source-namespace", byFlags}

	for _, args := range [][]string{mappingArgs, flagArgs} {
		r := drSyncer(t, append([]string{"sync"}, args...)...)
		g.Expect(r.Code).To(Equal(0), "%s", r)
	}
	expectState(g, dr, byMapping, parked)
	expectState(g, dr, byFlags, parked)

	g.Expect(lostTB.Stop()).To(Succeed())

	for _, c := range []struct {
		ns      string
		args    []string
		changes string
	}{
		{byMapping, mappingArgs, "6 changes"}, // pause, mark live, activate 4
		{byFlags, flagArgs, "5 changes"},      // no mapping to pause
	} {
		start := time.Now()
		r := drSyncer(t, append([]string{"cutover"}, c.args...)...)
		g.Expect(r.Code).To(Equal(0), "%s", r)
		g.Expect(time.Since(start)).To(BeNumerically("<", 30*time.Second))
		g.Expect(r.Stdout).To(ContainSubstring("warning: final sync skipped: the source is unreachable"))
		g.Expect(r.Stdout).To(ContainSubstring("warning: source workloads not parked: the source is unreachable"))
		g.Expect(r.Stdout).To(ContainSubstring("cutover done with " + c.changes + " and 2 warnings"))
		expectState(g, dr, c.ns, running)
		g.Expect(liveSince(g, dr, c.ns)).NotTo(BeEmpty())

		before := versions(g, dr, c.ns)
		r = drSyncer(t, append([]string{"cutover"}, c.args...)...)
		g.Expect(r.Code).To(Equal(0), "%s", r)
		g.Expect(r.Stdout).To(ContainSubstring("cutover done with 0 changes and 2 warnings"))
		g.Expect(versions(g, dr, c.ns)).To(Equal(before))

		r = drSyncer(t, append([]string{"failback"}, c.args...)...)
		g.Expect(r.Code).To(Equal(1), "%s", r)
		g.Expect(r.Err).To(MatchError(And(ContainSubstring("failback needs the source cluster"), ContainSubstring("wait until it answers"))))
	}
	m := getMapping(g, dr, opsNS, "shop")
	g.Expect(m.Spec.Paused).To(BeTrue())
	g.Expect(drSyncer(t, append([]string{"cutover"}, mappingArgs...)...).Stdout).To(ContainSubstring("already paused"))
}

// TestFailbackKeepsAnAdministratorsPause: a mapping paused by hand before a cutover stays paused
// after the failback; one the cutover paused is resumed.
func TestFailbackKeepsAnAdministratorsPause(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(g, prod, "held")
	create(g, prod, workloads(ns)...)
	m := mapping(g, ns, ns)
	ref := controllerNS + "/" + ns
	byMapping := []string{"--mapping", ref, "--kubeconfig", kubeconfigs["prod"]}
	g.Expect(drSyncer(t, append([]string{"sync"}, byMapping...)...).Code).To(Equal(0))
	base := getMapping(g, prod, controllerNS, m.Name)
	paused := base.DeepCopy()
	paused.Spec.Paused = true
	g.Expect(prod.Client.Patch(ctx, paused, client.MergeFrom(base))).To(Succeed())

	r := drSyncer(t, append([]string{"cutover"}, byMapping...)...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	g.Expect(getMapping(g, prod, controllerNS, m.Name).Annotations).To(HaveKeyWithValue(drv1.AnnotationPausedBeforeCutover, "true"))
	r = drSyncer(t, append([]string{"failback"}, byMapping...)...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	g.Expect(r.Stdout).To(ContainSubstring("stays paused as before the cutover"))
	after := getMapping(g, prod, controllerNS, m.Name)
	g.Expect(after.Spec.Paused).To(BeTrue())
	g.Expect(after.Annotations).NotTo(HaveKey(drv1.AnnotationPausedBeforeCutover))
	expectState(g, prod, ns, running)
	g.Eventually(func() drv1.Phase { return getMapping(g, prod, controllerNS, m.Name).Status.Phase }).
		WithTimeout(timeout).WithPolling(interval).Should(Equal(drv1.PhasePaused))
}
