package faults

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// TestLeaderHandoverDuringLongSync: of two controller processes, the leader freezes (SIGSTOP: a
// long GC pause, a stalled node) in the middle of copying 1,500 objects. The other takes the
// Lease over once it expires and completes the sync; the source then changes and the new leader
// copies the change. When the old leader thaws it has lost the Lease: it exits and writes
// nothing, so none of what it had read before freezing overwrites the newer copies.
func TestLeaderHandoverDuringLongSync(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ctl := newNamespace(g, prod, "faults-leader")
	src := newNamespace(g, prod, "leader-src")
	dst := "leader-dst"
	createConfigMaps(t, src, objects)
	remoteCluster(g, ctl, "dr", drTB.Kubeconfig, 100)
	a := startController(t, ctl, "--leader-elect", "--workers", "4")
	b := startController(t, ctl, "--leader-elect", "--workers", "4")
	var old, next *controller
	g.Eventually(func() bool {
		for _, c := range []*controller{a, b} {
			if strings.Contains(c.out.String(), "Successfully acquired lease") {
				old, next = c, a
				if c == a {
					next = b
				}
				return true
			}
		}
		return false
	}).WithTimeout(timeout).WithPolling(interval).Should(BeTrue(), "no process acquired the Lease")

	g.Expect(prod.Client.Create(ctx, &drv1.NamespaceMapping{
		ObjectMeta: metav1.ObjectMeta{Namespace: ctl, Name: "handover", Annotations: map[string]string{drv1.AnnotationSyncNow: "first"}},
		Spec:       drv1.NamespaceMappingSpec{DestinationCluster: "dr", SourceNamespace: src, DestinationNamespace: dst, ReplicationMode: drv1.ModeManual},
	})).To(Succeed())
	waitCount(g, dst, objects/10)
	g.Expect(old.cmd.Process.Signal(syscall.SIGSTOP)).To(Succeed())
	frozen := time.Now()
	t.Cleanup(func() { _ = old.cmd.Process.Signal(syscall.SIGCONT) })
	at := count(g, dr, dst)
	t.Logf("leader frozen with %d of %d objects copied", at, objects)
	if at >= objects {
		t.Fatalf("the sync had finished before the leader froze (%d objects): nothing was interrupted", at)
	}

	m := waitMapping(g, ctl, "handover", func(m *drv1.NamespaceMapping) bool {
		return m.Status.LastHandledSyncRequest == "first" && m.Status.Phase != drv1.PhaseSyncing
	})
	t.Logf("the new leader finished the sync %s after the old one froze", time.Since(frozen).Round(100*time.Millisecond))
	g.Expect(ready(m)).To(BeTrue(), "conditions: %+v", m.Status.Conditions)
	g.Expect(strings.Contains(next.out.String(), "Successfully acquired lease")).To(BeTrue())
	expectCopies(g, src, dst)

	// Newer data in the source, copied by the new leader.
	setAll(t, src, "second")
	trigger(g, ctl, "handover", "second")
	waitMapping(g, ctl, "handover", func(m *drv1.NamespaceMapping) bool {
		return m.Status.LastHandledSyncRequest == "second" && m.Status.Phase != drv1.PhaseSyncing
	})
	expectCopies(g, src, dst)

	// The old leader thaws: it must notice it lost the Lease, stop, and write nothing.
	g.Expect(old.cmd.Process.Signal(syscall.SIGCONT)).To(Succeed())
	g.Expect(old.wait(30*time.Second)).To(HaveOccurred(), "the old leader went on running")
	t.Logf("old leader exited: %v", old.err)
	expectCopies(g, src, dst)
	lease := &coordinationv1.Lease{}
	g.Expect(prod.Client.Get(ctx, client.ObjectKey{Namespace: ctl, Name: "dr-syncer.dr-syncer.io"}, lease)).To(Succeed())
	g.Expect(next.exited()).To(BeFalse())
}

// setAll sets the data of every ConfigMap in ns of the source to value-<name>-<suffix>.
func setAll(t *testing.T, ns, suffix string) {
	t.Helper()
	l := &corev1.ConfigMapList{}
	if err := prod.Client.List(context.Background(), l, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	items := make(chan corev1.ConfigMap)
	errs := make(chan error, len(l.Items))
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for cm := range items {
				cm.Data["key"] = fmt.Sprintf("value-%s-%s", cm.Name, suffix)
				if err := prod.Client.Update(context.Background(), &cm); err != nil {
					errs <- err
				}
			}
		}()
	}
	for _, cm := range l.Items {
		items <- cm
	}
	close(items)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// trigger sets the sync-now annotation of a mapping.
func trigger(g Gomega, ns, name, value string) {
	g.Eventually(func(g Gomega) {
		m := getMapping(g, ns, name)
		m.Annotations[drv1.AnnotationSyncNow] = value
		g.Expect(prod.Client.Update(context.Background(), m)).To(Succeed())
	}).WithTimeout(timeout).Should(Succeed())
}
