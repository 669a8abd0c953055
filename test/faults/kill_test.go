package faults

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// objects is the size of the namespace the long syncs copy.
const objects = 1500

// TestControllerKilledMidSync: the controller gets SIGKILL in the middle of copying 1,500 objects;
// the process started after it runs the sync that was asked for, to the end: every object
// in DR once, with its source's data, none extra.
func TestControllerKilledMidSync(t *testing.T) {
	g := NewWithT(t)
	ctl := newNamespace(g, prod, "faults-kill")
	src := newNamespace(g, prod, "kill-src")
	dst := "kill-dst"
	createConfigMaps(t, src, objects)
	remoteCluster(g, ctl, "dr", drTB.Kubeconfig, 200)
	g.Expect(prod.Client.Create(t.Context(), &drv1.NamespaceMapping{
		ObjectMeta: metav1.ObjectMeta{Namespace: ctl, Name: "kill", Annotations: map[string]string{drv1.AnnotationSyncNow: "first"}},
		Spec:       drv1.NamespaceMappingSpec{DestinationCluster: "dr", SourceNamespace: src, DestinationNamespace: dst, ReplicationMode: drv1.ModeManual},
	})).To(Succeed())

	first := startController(t, ctl)
	at := waitCount(g, dst, objects/10)
	first.kill()
	after := count(g, dr, dst)
	t.Logf("killed with %d of %d objects copied (%d seen before the signal)", after, objects, at)
	if after >= objects {
		t.Fatalf("the sync had finished before the kill (%d objects): nothing was interrupted", after)
	}
	m := getMapping(g, ctl, "kill")
	g.Expect(m.Status.LastHandledSyncRequest).NotTo(Equal("first"), "the killed process recorded the request as handled")

	start := time.Now()
	startController(t, ctl)
	m = waitMapping(g, ctl, "kill", func(m *drv1.NamespaceMapping) bool {
		return m.Status.LastHandledSyncRequest == "first" && m.Status.Phase != drv1.PhaseSyncing
	})
	t.Logf("restarted process finished the sync %s after it started", time.Since(start).Round(100*time.Millisecond))
	g.Expect(ready(m)).To(BeTrue(), "conditions: %+v", m.Status.Conditions)
	stats := m.Status.LastSyncStats
	g.Expect(stats.Failed).To(BeZero())
	g.Expect(stats.Created+stats.Updated+stats.Unchanged).To(Equal(int32(objects)), "stats: %+v", stats)
	g.Expect(stats.Created).To(BeNumerically("~", objects-after, 20), "objects created by the second process: %+v", stats)
	expectCopies(g, src, dst)
}
