package faults

import (
	"context"
	"net/url"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/testbed"
)

// recoveryBound is the promise: within this time of a cluster answering again, a full resync has
// brought over everything that changed meanwhile.
const recoveryBound = 15 * time.Second

// proxyTo starts a TCP proxy to a control plane, ended with the test.
func proxyTo(t *testing.T, g Gomega, tb *testbed.Cluster) *testbed.Proxy {
	u, err := url.Parse(tb.Config.Host)
	g.Expect(err).NotTo(HaveOccurred())
	p, err := testbed.NewProxy(u.Host)
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(p.Close)
	return p
}

// TestDestinationOutageMidSync: the DR API server stops answering (every connection reset, new
// ones refused) while a Continuous mapping copies 1,500 objects, for 10 s, with changes in the
// source meanwhile; once it answers again the copy resumes and completes: 0 lost, 0 extra.
func TestDestinationOutageMidSync(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ctl := newNamespace(g, prod, "faults-dest")
	src := newNamespace(g, prod, "dest-src")
	dst := "dest-dst"
	createConfigMaps(t, src, objects)
	proxy := proxyTo(t, g, drTB)
	kubeconfig, err := proxy.Kubeconfig(drTB.Kubeconfig)
	g.Expect(err).NotTo(HaveOccurred())
	remoteCluster(g, ctl, "dr", kubeconfig, 200)
	startController(t, ctl)
	g.Expect(prod.Client.Create(ctx, &drv1.NamespaceMapping{
		ObjectMeta: metav1.ObjectMeta{Namespace: ctl, Name: "dest"},
		Spec:       drv1.NamespaceMappingSpec{DestinationCluster: "dr", SourceNamespace: src, DestinationNamespace: dst, ReplicationMode: drv1.ModeContinuous},
	})).To(Succeed())

	waitCount(g, dst, objects/10)
	proxy.Stop()
	down := time.Now()
	g.Expect(prod.Client.Create(ctx, configMap(src, objects))).To(Succeed())
	cm := &corev1.ConfigMap{}
	g.Expect(prod.Client.Get(ctx, client.ObjectKey{Namespace: src, Name: "cm-0000"}, cm)).To(Succeed())
	cm.Data["key"] = "changed during the outage"
	g.Expect(prod.Client.Update(ctx, cm)).To(Succeed())
	waitMapping(g, ctl, "dest", func(m *drv1.NamespaceMapping) bool { return !ready(m) && m.Status.Phase != drv1.PhaseSyncing })
	// Counted once the writes that were under way when the connections broke have landed.
	at := count(g, dr, dst)
	t.Logf("DR cut off with %d of %d objects copied", at, objects)
	if at >= objects {
		t.Fatalf("the sync had finished before the outage (%d objects): nothing was interrupted", at)
	}
	// The rest of the outage: DR is not reachable, so nothing could be written there.
	g.Consistently(func() int { return count(g, dr, dst) }).WithTimeout(time.Until(down.Add(10 * time.Second))).WithPolling(time.Second).Should(Equal(at))

	g.Expect(proxy.Start()).To(Succeed())
	up := time.Now()
	var done time.Duration
	g.Eventually(func(g Gomega) {
		expectCopies(g, src, dst)
		if done == 0 {
			done = time.Since(up)
		}
		g.Expect(ready(getMapping(g, ctl, "dest"))).To(BeTrue())
	}).WithTimeout(timeout).WithPolling(500 * time.Millisecond).Should(Succeed())
	t.Logf("all %d objects in DR %s after it answered again", objects+1, done.Round(100*time.Millisecond))
}

// TestContinuousSourceOutage: the source stops answering for 45 s (long enough for client-go's
// watch backoff to reach its 30 s cap) while a Continuous mapping runs; meanwhile objects are
// created, changed and deleted in the source and a copy is edited by hand in DR. Nothing is
// pruned during the outage; within 15 s of the source answering again every change has arrived,
// and the mapping reports Ready=True only once they have.
func TestContinuousSourceOutage(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ctl := newNamespace(g, prod, "faults-source")
	src := newNamespace(g, prod, "source-src")
	dst := "source-dst"
	createConfigMaps(t, src, 4)
	proxy := proxyTo(t, g, prodTB)
	kubeconfig, err := proxy.Kubeconfig(prodTB.Kubeconfig)
	g.Expect(err).NotTo(HaveOccurred())
	remoteCluster(g, ctl, "dr", drTB.Kubeconfig, 200)
	remoteCluster(g, ctl, "prod-via-proxy", kubeconfig, 200)
	startController(t, ctl)
	g.Expect(prod.Client.Create(ctx, &drv1.NamespaceMapping{
		ObjectMeta: metav1.ObjectMeta{Namespace: ctl, Name: "source"},
		Spec: drv1.NamespaceMappingSpec{SourceCluster: "prod-via-proxy", DestinationCluster: "dr", SourceNamespace: src,
			DestinationNamespace: dst, ReplicationMode: drv1.ModeContinuous},
	})).To(Succeed())
	waitMapping(g, ctl, "source", ready)
	g.Eventually(func(g Gomega) { expectCopies(g, src, dst) }).WithTimeout(timeout).Should(Succeed())

	proxy.Stop()
	down := time.Now()
	waitMapping(g, ctl, "source", func(m *drv1.NamespaceMapping) bool {
		c := meta.FindStatusCondition(m.Status.Conditions, drv1.ConditionReady)
		return c != nil && c.Status == metav1.ConditionFalse && c.Reason == drv1.ReasonClusterNotReady
	})
	g.Expect(prod.Client.Delete(ctx, configMap(src, 1))).To(Succeed())
	g.Expect(prod.Client.Create(ctx, configMap(src, 4))).To(Succeed())
	setData(g, prod.Client, src, "cm-0002", "changed during the outage")
	setData(g, dr.Client, dst, "cm-0003", "hand edit")
	g.Consistently(func() bool { return exists(g, dst, "cm-0001") }).WithTimeout(time.Until(down.Add(45*time.Second))).
		WithPolling(time.Second).Should(BeTrue(), "pruned during the outage")

	g.Expect(proxy.Start()).To(Succeed())
	up := time.Now()
	var took time.Duration
	g.Eventually(func(g Gomega) {
		// The mapping first, then the objects: a Ready=True read before an object was missing was
		// reported before that object arrived.
		isReady := ready(getMapping(g, ctl, "source"))
		if took == 0 {
			var missing []string
			expectCopies(NewGomega(func(msg string, _ ...int) { missing = append(missing, msg) }), src, dst)
			if len(missing) > 0 && isReady {
				t.Errorf("Ready=True before the outage's changes arrived: %v", missing)
			}
			g.Expect(missing).To(BeEmpty())
			took = time.Since(up)
		}
		g.Expect(isReady).To(BeTrue())
	}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
	t.Logf("outage of %s: changes arrived %s after the source answered again", up.Sub(down).Round(time.Second), took.Round(100*time.Millisecond))
	if took > recoveryBound {
		t.Errorf("the outage's changes arrived %s after the source answered again; the promise is %s", took, recoveryBound)
	}
}

func setData(g Gomega, c client.Client, ns, name, value string) {
	cm := &corev1.ConfigMap{}
	g.Expect(c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, cm)).To(Succeed())
	cm.Data["key"] = value
	g.Expect(c.Update(context.Background(), cm)).To(Succeed())
}

func exists(g Gomega, ns, name string) bool {
	err := dr.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &corev1.ConfigMap{})
	g.Expect(client.IgnoreNotFound(err)).To(Succeed())
	return err == nil
}

// TestDestinationAPIServerRestartedMidSync: the DR kube-apiserver process stops (etcd and its
// data stay) while a Continuous mapping copies 1,500 objects (a graceful stop takes envtest's
// 20 s timeout, then SIGKILL), and starts again on the same data: the copy resumes and
// completes, 0 lost, 0 extra.
func TestDestinationAPIServerRestartedMidSync(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ctl := newNamespace(g, prod, "faults-restart")
	src := newNamespace(g, prod, "restart-src")
	dst := "restart-dst"
	createConfigMaps(t, src, objects)
	remoteCluster(g, ctl, "dr", drTB.Kubeconfig, 200)
	startController(t, ctl)
	g.Expect(prod.Client.Create(ctx, &drv1.NamespaceMapping{
		ObjectMeta: metav1.ObjectMeta{Namespace: ctl, Name: "restart"},
		Spec:       drv1.NamespaceMappingSpec{DestinationCluster: "dr", SourceNamespace: src, DestinationNamespace: dst, ReplicationMode: drv1.ModeContinuous},
	})).To(Succeed())

	waitCount(g, dst, objects/10)
	g.Expect(drTB.StopAPIServer()).To(Succeed())
	down := time.Now()
	restarted := false
	t.Cleanup(func() {
		if !restarted {
			_ = drTB.StartAPIServer()
		}
	})
	g.Expect(prod.Client.Create(ctx, configMap(src, objects))).To(Succeed())
	waitMapping(g, ctl, "restart", func(m *drv1.NamespaceMapping) bool { return !ready(m) && m.Status.Phase != drv1.PhaseSyncing })
	// The rest of the outage: the mapping says it is not ready all along.
	g.Consistently(func(g Gomega) { g.Expect(ready(getMapping(g, ctl, "restart"))).To(BeFalse()) }).
		WithTimeout(time.Until(down.Add(10 * time.Second))).WithPolling(time.Second).Should(Succeed())

	g.Expect(drTB.StartAPIServer()).To(Succeed())
	restarted = true
	up := time.Now()
	at := count(g, dr, dst)
	t.Logf("DR API server stopped for %s with %d of %d objects copied", up.Sub(down).Round(time.Second), at, objects+1)
	if at >= objects {
		t.Fatalf("the sync had finished before the API server stopped (%d objects): nothing was interrupted", at)
	}
	var done time.Duration
	g.Eventually(func(g Gomega) {
		expectCopies(g, src, dst)
		if done == 0 {
			done = time.Since(up)
		}
		m := getMapping(g, ctl, "restart")
		g.Expect(ready(m)).To(BeTrue(), "conditions: %+v", m.Status.Conditions)
	}).WithTimeout(timeout).WithPolling(500 * time.Millisecond).Should(Succeed())
	t.Logf("all %d objects in DR %s after its API server was back", objects+1, done.Round(100*time.Millisecond))
}
