package faults

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/cluster"
)

const (
	timeout  = 90 * time.Second
	interval = 100 * time.Millisecond
)

// newNamespace creates a namespace in a cluster.
func newNamespace(g Gomega, h *cluster.Handle, name string) string {
	g.Expect(h.Client.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})).To(Succeed())
	return name
}

// remoteCluster registers a RemoteCluster named name in the controller namespace ns, whose
// kubeconfig is kubeconfig, limited to qps requests per second: the syncs of the fault tests take
// several seconds, long enough to be interrupted.
func remoteCluster(g Gomega, ns, name string, kubeconfig []byte, qps int32) {
	ctx := context.Background()
	g.Expect(prod.Client.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name + "-kubeconfig"},
		Data: map[string][]byte{"kubeconfig": kubeconfig}})).To(Succeed())
	g.Expect(prod.Client.Create(ctx, &drv1.RemoteCluster{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: drv1.RemoteClusterSpec{KubeconfigSecretRef: drv1.SecretKeyReference{Name: name + "-kubeconfig"}, QPS: qps, Burst: qps}})).To(Succeed())
}

// createConfigMaps creates n ConfigMaps cm-0000… in ns of the source, 16 at a time.
func createConfigMaps(t *testing.T, ns string, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	next := make(chan int)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := prod.Client.Create(context.Background(), configMap(ns, i)); err != nil {
					errs <- err
				}
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func configMap(ns string, i int) *corev1.ConfigMap {
	name := fmt.Sprintf("cm-%04d", i)
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: map[string]string{"key": "value-" + name}}
}

// count is the number of ConfigMaps in ns, read with one small request.
func count(g Gomega, h *cluster.Handle, ns string) int {
	l := &metav1.PartialObjectMetadataList{}
	l.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("ConfigMapList"))
	g.Expect(h.Client.List(context.Background(), l, client.InNamespace(ns), client.Limit(1))).To(Succeed())
	n := len(l.Items)
	if l.RemainingItemCount != nil {
		n += int(*l.RemainingItemCount)
	}
	return n
}

// expectCopies checks that dst in DR holds exactly the ConfigMaps of src in prod, each with its
// source's data: nothing lost, nothing extra.
func expectCopies(g Gomega, src, dst string) {
	ctx := context.Background()
	want, got := &corev1.ConfigMapList{}, &corev1.ConfigMapList{}
	g.Expect(prod.Client.List(ctx, want, client.InNamespace(src))).To(Succeed())
	g.Expect(dr.Client.List(ctx, got, client.InNamespace(dst))).To(Succeed())
	data := map[string]string{}
	for _, cm := range got.Items {
		data[cm.Name] = cm.Data["key"]
	}
	missing, wrong := 0, 0
	for _, cm := range want.Items {
		v, ok := data[cm.Name]
		switch {
		case !ok:
			missing++
		case v != cm.Data["key"]:
			wrong++
		}
		delete(data, cm.Name)
	}
	g.Expect(missing).To(BeZero(), "ConfigMaps of %s missing in DR", src)
	g.Expect(wrong).To(BeZero(), "ConfigMaps of %s with other data in DR", src)
	g.Expect(data).To(BeEmpty(), "ConfigMaps in DR that the source does not have")
}

// getMapping reads a mapping.
func getMapping(g Gomega, ns, name string) *drv1.NamespaceMapping {
	m := &drv1.NamespaceMapping{}
	g.Expect(prod.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, m)).To(Succeed())
	return m
}

// waitMapping polls the mapping until ok holds and returns it.
func waitMapping(g Gomega, ns, name string, ok func(*drv1.NamespaceMapping) bool) *drv1.NamespaceMapping {
	var m *drv1.NamespaceMapping
	g.Eventually(func(g Gomega) {
		m = getMapping(g, ns, name)
		g.Expect(ok(m)).To(BeTrue(), "mapping %s: phase=%s conditions=%+v", name, m.Status.Phase, m.Status.Conditions)
	}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
	return m
}

func ready(m *drv1.NamespaceMapping) bool {
	return meta.IsStatusConditionTrue(m.Status.Conditions, drv1.ConditionReady)
}

// waitCount waits until the DR namespace holds at least n ConfigMaps and returns how many.
func waitCount(g Gomega, ns string, n int) int {
	var got int
	g.Eventually(func() int { got = count(g, dr, ns); return got }).WithTimeout(timeout).WithPolling(20 * time.Millisecond).
		Should(BeNumerically(">=", n))
	return got
}
