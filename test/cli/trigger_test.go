package cli_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// TestTriggerWaitAndStatus asks the running controller for a sync, waits for its result, and
// reads it back with status in every output format.
func TestTriggerWaitAndStatus(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(g, prod, "orders")
	create(g, prod, workloads(ns)[0], &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "settings", Namespace: ns}})
	mapping(g, ns, ns)
	ctl := []string{"--kubeconfig", kubeconfigs["both"], "--context", "prod"}

	r := drSyncer(t, append([]string{"trigger", ns, "--wait", "--timeout", "1m"}, ctl...)...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	g.Expect(r.Stdout).To(ContainSubstring("requested a sync of NamespaceMapping " + controllerNS + "/" + ns))
	g.Expect(r.Stdout).To(ContainSubstring("NamespaceMapping " + controllerNS + "/" + ns + ": phase Synced, Ready=True (Succeeded)"))
	g.Expect(r.Stdout).To(MatchRegexp(`Synced 2 objects in \d+ types: 2 created`))
	m := getMapping(g, prod, controllerNS, ns)
	g.Expect(m.Status.LastHandledSyncRequest).To(Equal(m.Annotations[drv1.AnnotationSyncNow]))
	g.Expect(missing(dr, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "settings", Namespace: ns}})).To(BeFalse())

	// A second trigger is a new request: JSON result.
	r = drSyncer(t, append([]string{"trigger", controllerNS + "/" + ns, "--wait", "-o", "json"}, ctl...)...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	var res struct {
		Request string
		Mapping struct {
			Phase         string
			LastSyncStats drv1.SyncStats
		} `json:"namespaceMapping"`
	}
	g.Expect(json.Unmarshal([]byte(r.Stdout), &res)).To(Succeed(), r.Stdout)
	g.Expect(res.Request).NotTo(Equal(m.Status.LastHandledSyncRequest))
	g.Expect(res.Mapping.Phase).To(Equal("Synced"), "%s", r)
	g.Expect(res.Mapping.LastSyncStats.Unchanged).To(Equal(int32(2)))

	// status: one row per mapping with every column, and the RemoteCluster.
	r = drSyncer(t, append([]string{"status"}, ctl...)...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	g.Expect(lines(r.Stdout, ns+" ", "Synced")).To(HaveLen(1), "%s", r)
	header := lines(r.Stdout, "NAMESPACEMAPPING")[0]
	for _, col := range []string{"SOURCE → DESTINATION", "MODE", "PHASE", "LAST SUCCESSFUL SYNC", "RPO", "NEXT SYNC", "OBJECTS", "CHANGED", "CONFLICTS", "FAILED", "READY", "MESSAGE"} {
		g.Expect(header).To(ContainSubstring(col))
	}
	fields := strings.Fields(lines(r.Stdout, ns+" ", "Synced")[0])
	// NAME SOURCE → DESTINATION MODE PHASE LAST RPO NEXT(2 words) OBJECTS CHANGED CONFLICTS FAILED READY MESSAGE...
	g.Expect(fields[:5]).To(Equal([]string{ns, "local/" + ns, "→", "dr/" + ns, "Manual"}))
	g.Expect(fields[5]).To(Equal("Synced"))
	_, err := time.Parse(time.RFC3339, fields[6])
	g.Expect(err).NotTo(HaveOccurred(), "last successful sync %q", fields[6])
	g.Expect(fields[7]).To(MatchRegexp(`^\d+s$`), "RPO")
	g.Expect(fields[8:10]).To(Equal([]string{"on", "request"}))
	g.Expect(fields[10:15]).To(Equal([]string{"2", "0", "0", "0", "True"}))
	g.Expect(strings.Join(fields[15:], " ")).To(HavePrefix("Synced 2 objects"))
	rcHeader := lines(r.Stdout, "REMOTECLUSTER")[0]
	g.Expect(strings.Fields(rcHeader)).To(Equal([]string{"REMOTECLUSTER", "READY", "VERSION", "LAST", "PROBE", "MESSAGE"}))
	rc := strings.Fields(lines(r.Stdout, "Connected to")[0])
	g.Expect(rc[:3]).To(Equal([]string{drClusterRef, "True", "v1.37.2"}))
	g.Expect(rc[4]).To(Equal("ago"))

	r = drSyncer(t, append([]string{"status", "-o", "json"}, ctl...)...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	var st struct {
		Mappings []struct {
			Name, Source, Destination, Mode, Phase, Ready, Message string
			RPOSeconds                                             *int64
			LastSuccessfulSync                                     *time.Time
		} `json:"namespaceMappings"`
		RemoteClusters []struct{ Name, Ready, Version string } `json:"remoteClusters"`
	}
	g.Expect(json.Unmarshal([]byte(r.Stdout), &st)).To(Succeed())
	found := false
	for _, m := range st.Mappings {
		if m.Name == ns {
			found = true
			g.Expect(m.Source).To(Equal("local/" + ns))
			g.Expect(m.Ready).To(Equal("True"))
			g.Expect(m.RPOSeconds).NotTo(BeNil())
			g.Expect(m.LastSuccessfulSync).NotTo(BeNil())
		}
	}
	g.Expect(found).To(BeTrue())
	g.Expect(st.RemoteClusters).To(ContainElement(struct{ Name, Ready, Version string }{drClusterRef, "True", "v1.37.2"}))
	r = drSyncer(t, append([]string{"status", "-o", "yaml", "-A"}, ctl...)...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	g.Expect(r.Stdout).To(ContainSubstring("namespaceMappings:"))

	// --watch redraws until interrupted.
	wctx, cancel := context.WithTimeout(ctx, 3500*time.Millisecond)
	defer cancel()
	r = drSyncerCtx(wctx, append([]string{"status", "--watch", "--interval", "1s"}, ctl...)...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	g.Expect(strings.Count(r.Stdout, "NAMESPACEMAPPING")).To(BeNumerically(">=", 2), "%s", r)

	// Without --wait: the request only.
	r = drSyncer(t, append([]string{"trigger", ns}, ctl...)...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	g.Expect(r.Stdout).To(ContainSubstring("dr-syncer.io/sync-now="))

	// A paused mapping cannot be triggered; the error says what to do.
	m = getMapping(g, prod, controllerNS, ns)
	patch := client.MergeFrom(m.DeepCopy())
	m.Spec.Paused = true
	g.Expect(prod.Client.Patch(ctx, m, patch)).To(Succeed())
	r = drSyncer(t, append([]string{"trigger", ns, "--wait"}, ctl...)...)
	g.Expect(r.Code).To(Equal(1))
	g.Expect(r.Err).To(MatchError(ContainSubstring("is paused, so the controller would not act on the request: unpause it first")))
}
