package sync_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/testbed"
)

const (
	// outage is how long the source stays unreachable: longer than the first steps of
	// client-go's watch backoff, which alone would bring changes back up to 30 s late.
	outage = 20 * time.Second
	// recoveryBound is the promise: within this time of the source answering again, a full
	// resync has brought over everything that changed meanwhile.
	recoveryBound = 15 * time.Second
)

// TestContinuousSourceOutage: the source API server going away stops nothing else, reports
// Ready=False and prunes nothing; within 15 s of its return a full resync has caught up with
// what changed meanwhile (in the source, and by hand in DR), and Ready=True shows only after it.
func TestContinuousSourceOutage(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	// The default probe interval (a minute): the watcher notices the outage and the recovery itself.
	proxy := viaProxy(t, g, prodTB, "prod-via-proxy")

	ns := newNamespace(t, g, "outage")
	create(g, prod, configMap(ns, "keep"), configMap(ns, "edited-during-outage"), configMap(ns, "deleted-during-outage"), configMap(ns, "hand-edited-in-dr"))
	create(g, prod, mapping("outage", ns, ns, continuousMapping, func(m *drv1.NamespaceMapping) { m.Spec.SourceCluster = "prod-via-proxy" }))
	waitMapping(g, "outage", func(m *drv1.NamespaceMapping) bool { return m.Status.Phase == drv1.PhaseSynced })
	g.Eventually(configMapData(dr.Client, ns, "hand-edited-in-dr")).WithTimeout(timeout).Should(Equal("value-hand-edited-in-dr"))

	proxy.Stop()
	down := time.Now()
	m := waitMapping(g, "outage", func(m *drv1.NamespaceMapping) bool {
		c := condition(m, drv1.ConditionReady)
		return c != nil && c.Status == metav1.ConditionFalse
	})
	g.Expect(condition(m, drv1.ConditionReady).Reason).To(Equal(drv1.ReasonClusterNotReady))
	// Changes while dr-syncer cannot see the source: in the source, and by hand in DR.
	g.Expect(prod.Client.Delete(ctx, configMap(ns, "deleted-during-outage"))).To(Succeed())
	create(g, prod, configMap(ns, "created-during-outage"))
	setConfigMapData(g, prod.Client, ns, "edited-during-outage", "edited")
	setConfigMapData(g, dr.Client, ns, "hand-edited-in-dr", "hand edit")
	// Nothing is pruned on doubt, for as long as the outage lasts.
	g.Consistently(configMapData(dr.Client, ns, "deleted-during-outage")).WithTimeout(time.Until(down.Add(outage))).
		WithPolling(500 * time.Millisecond).Should(Equal("value-deleted-during-outage"))

	g.Expect(proxy.Start()).To(Succeed())
	up := time.Now()
	caughtUp := catchUp(t, g, "outage", up, []string{ns}, func(g Gomega, ns string) {
		g.Expect(configMapData(dr.Client, ns, "created-during-outage")()).To(Equal("value-created-during-outage"))
		g.Expect(configMapData(dr.Client, ns, "edited-during-outage")()).To(Equal("edited"))
		g.Expect(configMapData(dr.Client, ns, "hand-edited-in-dr")()).To(Equal("value-hand-edited-in-dr"))
		g.Expect(absent(dr, gvkConfigMap, ns, "deleted-during-outage")).To(BeTrue())
	})
	t.Logf("outage of %s: changes arrived %s after the source answered again", up.Sub(down).Round(time.Second), caughtUp.Round(100*time.Millisecond))

	// And the watch works again object by object.
	create(g, prod, configMap(ns, "after-outage"))
	g.Eventually(configMapData(dr.Client, ns, "after-outage")).WithTimeout(10 * time.Second).Should(Equal("value-after-outage"))
}

// catchUp polls, from up, until arrived holds for every namespace and the mapping is Ready=True,
// and returns how long the changes took to arrive. It fails the test when they take longer than
// recoveryBound, or when the mapping reports Ready=True before they have arrived.
func catchUp(t *testing.T, g Gomega, name string, up time.Time, namespaces []string, arrived func(Gomega, string)) time.Duration {
	t.Helper()
	var took time.Duration
	g.Eventually(func(g Gomega) {
		// The mapping first, then the objects: a Ready=True read before an object was missing
		// was reported before that object arrived.
		m := &drv1.NamespaceMapping{}
		g.Expect(prod.Client.Get(context.Background(), client.ObjectKey{Namespace: controllerNS, Name: name}, m)).To(Succeed())
		c := condition(m, drv1.ConditionReady)
		ready := c != nil && c.Status == metav1.ConditionTrue
		if took == 0 {
			var missing []string
			check := NewGomega(func(msg string, _ ...int) { missing = append(missing, msg) })
			for _, ns := range namespaces {
				arrived(check, ns)
			}
			if len(missing) > 0 {
				if ready {
					t.Errorf("mapping %s reported Ready=True (%s) before the outage's changes arrived: %v", name, c.Message, missing)
				}
				g.Expect(missing).To(BeEmpty())
			}
			took = time.Since(up)
		}
		g.Expect(ready).To(BeTrue(), "mapping %s: conditions %+v", name, m.Status.Conditions)
	}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
	if took > recoveryBound {
		t.Errorf("the outage's changes arrived %s after the source answered again; the promise is %s", took, recoveryBound)
	}
	return took
}

// setConfigMapData sets the "key" entry of a ConfigMap.
func setConfigMapData(g Gomega, c client.Client, ns, name, value string) {
	cm := &corev1.ConfigMap{}
	g.Expect(c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, cm)).To(Succeed())
	cm.Data["key"] = value
	g.Expect(c.Update(context.Background(), cm)).To(Succeed())
}

// viaProxy registers RemoteCluster name for the control plane tb reached through a TCP proxy
// (stopping the proxy makes the cluster unreachable) and returns the proxy. spec, when set,
// adjusts the RemoteCluster's spec.
func viaProxy(t *testing.T, g Gomega, tb *testbed.Cluster, name string, spec ...func(*drv1.RemoteClusterSpec)) *testbed.Proxy {
	t.Helper()
	u, err := url.Parse(tb.Config.Host)
	g.Expect(err).NotTo(HaveOccurred())
	proxy, err := testbed.NewProxy(u.Host)
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(proxy.Close)
	kubeconfig, err := proxy.Kubeconfig(tb.Kubeconfig)
	g.Expect(err).NotTo(HaveOccurred())
	rc := &drv1.RemoteCluster{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: controllerNS},
		Spec: drv1.RemoteClusterSpec{KubeconfigSecretRef: drv1.SecretKeyReference{Name: name}}}
	for _, f := range spec {
		f(&rc.Spec)
	}
	create(g, prod, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: controllerNS}, Data: map[string][]byte{"kubeconfig": kubeconfig}}, rc)
	return proxy
}
