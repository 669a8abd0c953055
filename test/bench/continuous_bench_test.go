package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/cluster"
	"github.com/dr-syncer/dr-syncer/internal/testbed"
)

const (
	watchedObjects = 10000
	lagUpdates     = 1000
	updateRate     = 20 // per second
	hotObjects     = 100
)

// BenchmarkContinuousLag runs the real controller binary in Continuous mode on a namespace of
// 10,000 objects, applies 1,000 single-object updates at 20/s to the source, and measures for
// each the time until a watch on DR shows the change. The baseline, measured in the same run, is
// the DR server's own write-to-watch latency for direct updates at the same rate.
func BenchmarkContinuousLag(b *testing.B) {
	ctx := context.Background()
	clusters, err := testbed.Start(testbed.Options{}, "prod", "dr")
	if err != nil {
		b.Fatal(err)
	}
	defer testbed.StopAll(clusters)
	prod, err := cluster.New("prod", clusters[0].Config)
	must(b, err)
	dr, err := cluster.New("dr", clusters[1].Config)
	must(b, err)
	drCS, err := kubernetes.NewForConfig(clusters[1].Config)
	must(b, err)
	prodCS, err := kubernetes.NewForConfig(clusters[0].Config)
	must(b, err)

	const ns, controllerNS = "live", "dr-syncer-system"
	for _, n := range []string{ns, controllerNS} {
		must(b, prod.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: n}}))
	}
	objs := make([]*unstructured.Unstructured, watchedObjects)
	for i := range objs {
		objs[i] = configMapObject(ns, fmt.Sprintf("cm-%05d", i), "v0")
	}
	_, err = writeAll(ctx, prod, ns, objs, false)
	must(b, err)
	objs = nil

	dir := b.TempDir()
	bin, err := testbed.BuildBinary(dir)
	must(b, err)
	kubeconfig, err := clusters[0].WriteKubeconfig(dir)
	must(b, err)
	metricsAddr, probeAddr := freeAddr(b), freeAddr(b)
	ctrlProc := exec.Command(bin, "controller", "--kubeconfig", kubeconfig, "--namespace", controllerNS,
		"--metrics-bind-address", metricsAddr, "--health-probe-bind-address", probeAddr, "--log-level", "error")
	ctrlProc.Stdout, ctrlProc.Stderr = io.Discard, os.Stderr
	must(b, ctrlProc.Start())
	defer func() { _ = ctrlProc.Process.Kill(); _ = ctrlProc.Wait() }()
	idleRSS := idleRSS(b, ctrlProc.Process.Pid, probeAddr)

	must(b, prod.Client.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "dr", Namespace: controllerNS},
		Data: map[string][]byte{"kubeconfig": clusters[1].Kubeconfig}}))
	must(b, prod.Client.Create(ctx, &drv1.RemoteCluster{ObjectMeta: metav1.ObjectMeta{Name: "dr", Namespace: controllerNS},
		Spec: drv1.RemoteClusterSpec{KubeconfigSecretRef: drv1.SecretKeyReference{Name: "dr"}}})) // as the README installs it
	must(b, prod.Client.Create(ctx, &drv1.NamespaceMapping{ObjectMeta: metav1.ObjectMeta{Name: "live", Namespace: controllerNS},
		Spec: drv1.NamespaceMappingSpec{DestinationCluster: "dr", SourceNamespace: ns, ReplicationMode: drv1.ModeContinuous,
			ResourceTypes: []string{"configmaps"}}}))
	start := time.Now()
	m := &drv1.NamespaceMapping{}
	if err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 5*time.Minute, true, func(ctx context.Context) (bool, error) {
		err := prod.Client.Get(ctx, client.ObjectKey{Namespace: controllerNS, Name: "live"}, m)
		return err == nil && m.Status.Phase == drv1.PhaseSynced, nil
	}); err != nil {
		b.Fatalf("initial sync did not finish: %v: %+v", err, m.Status)
	}
	initialSync := time.Since(start)

	for i := 0; i < b.N; i++ {
		// Baseline: direct updates on DR, observed by a DR watch.
		must(b, dr.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("baseline-%d", i)}}))
		baseNS := fmt.Sprintf("baseline-%d", i)
		for j := range hotObjects {
			_, err := drCS.CoreV1().ConfigMaps(baseNS).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cm-%05d", j)}, Data: map[string]string{"v": "v0"}}, metav1.CreateOptions{})
			must(b, err)
		}
		baseline := measureLag(b, drCS, drCS, baseNS, baseNS, lagUpdates/5, fmt.Sprintf("b%d-", i))
		lags := measureLag(b, prodCS, drCS, ns, ns, lagUpdates, fmt.Sprintf("r%d-", i))
		rss := readRSS(b, ctrlProc.Process.Pid)
		heap := scrapeMetric(b, metricsAddr, "go_memstats_heap_inuse_bytes")

		p := func(l []time.Duration, q float64) time.Duration { return l[int(q*float64(len(l)-1))] }
		b.ReportMetric(float64(p(lags, 0.50).Milliseconds()), "p50-ms")
		b.ReportMetric(float64(p(lags, 0.99).Milliseconds()), "p99-ms")
		b.ReportMetric(float64(p(lags, 0.99))/float64(p(baseline, 0.99)), "p99/baseline-p99")
		b.ReportMetric(rss/1e6, "rss-MB")
		fmt.Printf("continuous: %d updates at %d/s on a namespace of %d watched objects (initial full sync %.1fs)\n",
			len(lags), updateRate, watchedObjects, initialSync.Seconds())
		fmt.Printf("  source write -> DR watch: p50 %v  p95 %v  p99 %v  max %v\n",
			p(lags, .5).Round(time.Millisecond), p(lags, .95).Round(time.Millisecond), p(lags, .99).Round(time.Millisecond), lags[len(lags)-1].Round(time.Millisecond))
		fmt.Printf("  baseline DR write -> DR watch: p50 %v  p95 %v  p99 %v  max %v\n",
			p(baseline, .5).Round(time.Millisecond), p(baseline, .95).Round(time.Millisecond), p(baseline, .99).Round(time.Millisecond), baseline[len(baseline)-1].Round(time.Millisecond))
		fmt.Printf("  ratio p50 %.1f, p99 %.1f\n", float64(p(lags, .5))/float64(p(baseline, .5)), float64(p(lags, .99))/float64(p(baseline, .99)))
		fmt.Printf("  controller memory watching %d objects: RSS %.0f MB (idle, no mappings: %.0f MB; ratio %.1f), Go heap in use %.0f MB\n",
			watchedObjects, rss/1e6, idleRSS/1e6, rss/idleRSS, heap/1e6)
	}
}

// measureLag updates hot objects in srcNS at updateRate and returns the sorted delays until a
// watch on dstNS sees each new value.
func measureLag(b *testing.B, src, dst kubernetes.Interface, srcNS, dstNS string, n int, prefix string) []time.Duration {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w, err := dst.CoreV1().ConfigMaps(dstNS).Watch(ctx, metav1.ListOptions{})
	must(b, err)
	defer w.Stop()
	var mu sync.Mutex
	sent := map[string]time.Time{}
	var lags []time.Duration
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range w.ResultChan() {
			if ev.Type != watch.Modified {
				continue
			}
			cm, ok := ev.Object.(*corev1.ConfigMap)
			if !ok {
				continue
			}
			v := cm.Data["v"]
			if v == "" {
				v = cm.Data["key"]
			}
			mu.Lock()
			if t, ok := sent[v]; ok {
				lags = append(lags, time.Since(t))
				delete(sent, v)
			}
			complete := len(lags) == n
			mu.Unlock()
			if complete {
				return
			}
		}
	}()
	tick := time.NewTicker(time.Second / updateRate)
	defer tick.Stop()
	for i := range n {
		<-tick.C
		name := fmt.Sprintf("cm-%05d", i%hotObjects)
		value := fmt.Sprintf("%s%d", prefix, i)
		mu.Lock()
		sent[value] = time.Now()
		mu.Unlock()
		patch := fmt.Sprintf(`{"data":{"v":%q}}`, value)
		if _, err := src.CoreV1().ConfigMaps(srcNS).Patch(ctx, name, "application/merge-patch+json", []byte(patch), metav1.PatchOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		mu.Lock()
		b.Fatalf("only %d of %d updates arrived", len(lags), n)
	}
	slices.Sort(lags)
	return lags
}

func configMapObject(ns, name, v string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("v1")
	u.SetKind("ConfigMap")
	u.SetNamespace(ns)
	u.SetName(name)
	_ = unstructured.SetNestedStringMap(u.Object, map[string]string{"v": v, "payload": strings.Repeat("x", 512)}, "data")
	return u
}

func must(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}

func freeAddr(b *testing.B) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(b, err)
	defer l.Close()
	return l.Addr().String()
}

// readRSS reads a process's resident set size in bytes.
func readRSS(b *testing.B, pid int) float64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	must(b, err)
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if fields := strings.Fields(s.Text()); len(fields) >= 2 && fields[0] == "VmRSS:" {
			kb, err := strconv.ParseFloat(fields[1], 64)
			must(b, err)
			return kb * 1024
		}
	}
	b.Fatal("no VmRSS")
	return 0
}

// idleRSS waits until the controller is ready (caches synced, nothing to do) and reads its RSS.
func idleRSS(b *testing.B, pid int, probeAddr string) float64 {
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
		resp, err := http.Get("http://" + probeAddr + "/readyz")
		if err != nil {
			return false, nil
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
	must(b, err)
	return readRSS(b, pid)
}

// scrapeMetric reads one unlabelled gauge from a /metrics endpoint.
func scrapeMetric(b *testing.B, addr, name string) float64 {
	resp, err := http.Get("http://" + addr + "/metrics")
	must(b, err)
	defer resp.Body.Close()
	s := bufio.NewScanner(resp.Body)
	for s.Scan() {
		if f := strings.Fields(s.Text()); len(f) == 2 && f[0] == name {
			v, err := strconv.ParseFloat(f[1], 64)
			must(b, err)
			return v
		}
	}
	return 0
}
