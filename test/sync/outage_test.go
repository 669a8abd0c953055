package sync_test

import (
	"context"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/clientcmd"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// tcpProxy forwards a local port to an API server; stopping it makes the server unreachable
// for clients of the proxy address, starting it again (same port) brings it back.
type tcpProxy struct {
	addr, target string
	mu           sync.Mutex
	ln           net.Listener
	conns        map[net.Conn]bool
}

func newTCPProxy(t *testing.T, target string) *tcpProxy {
	p := &tcpProxy{target: target, conns: map[net.Conn]bool{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.stop)
	return p
}

func (p *tcpProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.forward(c)
		}
	}()
}

func (p *tcpProxy) forward(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns[c], p.conns[up] = true, true
	p.mu.Unlock()
	go func() { _, _ = io.Copy(up, c); up.Close() }()
	_, _ = io.Copy(c, up)
	c.Close()
}

// stop closes the listener and every open connection.
func (p *tcpProxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	p.conns = map[net.Conn]bool{}
}

// start listens on the same address again.
func (p *tcpProxy) start(t *testing.T) {
	var ln net.Listener
	// The port may linger for a moment after close.
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, 5*time.Second, true, func(context.Context) (bool, error) {
		var lerr error
		ln, lerr = net.Listen("tcp", p.addr)
		return lerr == nil, nil
	})
	if err != nil {
		t.Fatalf("listening on %s again: %v", p.addr, err)
	}
	p.serve(ln)
}

// TestContinuousSourceOutage: the source API server going away stops nothing else, reports
// Ready=False, prunes nothing, and after it returns the watch reconnects and a full resync
// catches up with what changed meanwhile.
func TestContinuousSourceOutage(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	u, err := url.Parse(prodTB.Config.Host)
	g.Expect(err).NotTo(HaveOccurred())
	proxy := newTCPProxy(t, u.Host)

	cfg, err := clientcmd.Load(prodTB.Kubeconfig)
	g.Expect(err).NotTo(HaveOccurred())
	for _, c := range cfg.Clusters {
		c.Server = "https://" + proxy.addr
	}
	kubeconfig, err := clientcmd.Write(*cfg)
	g.Expect(err).NotTo(HaveOccurred())
	create(g, prod,
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "prod-via-proxy", Namespace: controllerNS}, Data: map[string][]byte{"kubeconfig": kubeconfig}},
		&drv1.RemoteCluster{ObjectMeta: metav1.ObjectMeta{Name: "prod-via-proxy", Namespace: controllerNS},
			Spec: drv1.RemoteClusterSpec{KubeconfigSecretRef: drv1.SecretKeyReference{Name: "prod-via-proxy"}, HealthCheckInterval: &metav1.Duration{Duration: 10 * time.Second}}})

	ns := newNamespace(t, g, "outage")
	create(g, prod, configMap(ns, "keep"), configMap(ns, "deleted-during-outage"))
	create(g, prod, mapping("outage", ns, ns, continuousMapping, func(m *drv1.NamespaceMapping) { m.Spec.SourceCluster = "prod-via-proxy" }))
	waitMapping(g, "outage", func(m *drv1.NamespaceMapping) bool { return m.Status.Phase == drv1.PhaseSynced })
	g.Eventually(configMapData(dr.Client, ns, "deleted-during-outage")).WithTimeout(timeout).Should(Equal("value-deleted-during-outage"))

	proxy.stop()
	m := waitMapping(g, "outage", func(m *drv1.NamespaceMapping) bool {
		c := condition(m, drv1.ConditionReady)
		return c != nil && c.Status == metav1.ConditionFalse
	})
	g.Expect(condition(m, drv1.ConditionReady).Reason).To(Equal(drv1.ReasonClusterNotReady))
	// Changes in the source while dr-syncer cannot see it: nothing is pruned on doubt.
	g.Expect(prod.Client.Delete(ctx, configMap(ns, "deleted-during-outage"))).To(Succeed())
	create(g, prod, configMap(ns, "created-during-outage"))
	g.Consistently(configMapData(dr.Client, ns, "deleted-during-outage")).WithTimeout(3 * time.Second).Should(Equal("value-deleted-during-outage"))

	proxy.start(t)
	g.Eventually(configMapData(dr.Client, ns, "created-during-outage")).WithTimeout(timeout).Should(Equal("value-created-during-outage"))
	g.Eventually(func() bool { return absent(dr, gvkConfigMap, ns, "deleted-during-outage") }).WithTimeout(timeout).Should(BeTrue())
	waitMapping(g, "outage", func(m *drv1.NamespaceMapping) bool {
		c := condition(m, drv1.ConditionReady)
		return c != nil && c.Status == metav1.ConditionTrue
	})
	// And the watch works again object by object.
	create(g, prod, configMap(ns, "after-outage"))
	g.Eventually(configMapData(dr.Client, ns, "after-outage")).WithTimeout(10 * time.Second).Should(Equal("value-after-outage"))
}
