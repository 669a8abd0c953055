package e2e

import (
	"context"
	"fmt"
	"syscall"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/testbed"
)

// TestNoOpResyncRequests counts, through a proxy in front of the DR control plane, the requests
// the controller process sends: a no-op resync, and the first no-op resync after the process
// is restarted (empty caches), send no write and no dry run.
func TestNoOpResyncRequests(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	prod := prodClient(t)
	const ns, appNS, name = "e2e-requests", "requests-app", "app"

	proxy, err := testbed.NewCountingProxy(clusters[1])
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(proxy.Close)
	kubeconfig, err := proxy.Kubeconfig()
	g.Expect(err).NotTo(HaveOccurred())
	for _, o := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "dr-kubeconfig"}, Data: map[string][]byte{"kubeconfig": kubeconfig}},
		// As the README creates it: no qps, no burst.
		&drv1.RemoteCluster{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "dr"},
			Spec: drv1.RemoteClusterSpec{KubeconfigSecretRef: drv1.SecretKeyReference{Name: "dr-kubeconfig"}}},
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: appNS}},
	} {
		g.Expect(prod.Create(ctx, o)).To(Succeed(), "creating %T %s", o, o.GetName())
	}
	objects := 0
	for i := range 30 {
		g.Expect(prod.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: appNS, Name: fmt.Sprintf("cm-%02d", i)},
			Data: map[string]string{"k": fmt.Sprint(i)}})).To(Succeed())
		objects++
	}
	for i := range 5 {
		g.Expect(prod.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: appNS, Name: fmt.Sprintf("s-%02d", i)},
			StringData: map[string]string{"k": fmt.Sprint(i)}})).To(Succeed())
		g.Expect(prod.Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: appNS, Name: fmt.Sprintf("svc-%02d", i)},
			Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "x"}, Ports: []corev1.ServicePort{{Port: 80}}}})).To(Succeed())
		objects += 2
	}
	g.Expect(prod.Create(ctx, testDeployment(appNS, "web", 2))).To(Succeed())
	objects++

	p := startControllerProcess(t, ns)
	p.waitReady(t)
	g.Expect(prod.Create(ctx, &drv1.NamespaceMapping{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       drv1.NamespaceMappingSpec{DestinationCluster: "dr", SourceNamespace: appNS, ReplicationMode: drv1.ModeManual},
	})).To(Succeed())
	m := triggerSync(t, g, ns, name, "first")
	g.Expect(m.Status.LastSyncStats.Created).To(BeNumerically(">=", objects))

	proxy.Reset()
	m = triggerSync(t, g, ns, name, "second")
	g.Expect(m.Status.LastSyncStats.Unchanged).To(BeEquivalentTo(objects))
	c := proxy.Counts()
	g.Expect(c.Writes).To(BeZero(), "writes on a no-op resync: %v", c.WriteLog)
	g.Expect(c.DryRuns).To(BeZero(), "dry runs on a no-op resync")
	g.Expect(c.Reads).To(BeNumerically(">", 0), "the proxy counts the controller's requests")

	// A new process: everything it sends to DR from its start on is counted.
	p.signal(t, syscall.SIGTERM)
	proxy.Reset()
	p = startControllerProcess(t, ns)
	p.waitReady(t)
	m = triggerSync(t, g, ns, name, "after-restart")
	g.Expect(m.Status.LastSyncStats.Unchanged).To(BeEquivalentTo(objects))
	c = proxy.Counts()
	g.Expect(c.Writes).To(BeZero(), "writes after a restart: %v", c.WriteLog)
	g.Expect(c.DryRuns).To(BeZero(), "dry runs after a restart: one per object is a restart storm")
}
