package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/cluster"
	"github.com/dr-syncer/dr-syncer/internal/testbed"
)

// controllerNS is where the README installs the chart.
const controllerNS = "dr-syncer-system"

// readmeSetup is dr-syncer as the README installs it: the controller binary with its default
// flags against "prod", a RemoteCluster "dr" made of a kubeconfig Secret and nothing else (no
// qps, no burst), and NamespaceMappings. The benchmark's own clients have no client-side limit.
type readmeSetup struct {
	clusters                []*testbed.Cluster
	prod, dr                *cluster.Handle
	drCS                    kubernetes.Interface
	dir, bin, prodKubeconfg string

	ctrl                   *exec.Cmd
	metricsAddr, probeAddr string
}

func newReadmeSetup(b *testing.B) *readmeSetup {
	clusters, err := testbed.Start(testbed.Options{}, "prod", "dr")
	must(b, err)
	b.Cleanup(func() { _ = testbed.StopAll(clusters) })
	s := &readmeSetup{clusters: clusters, dir: b.TempDir()}
	s.prod, err = cluster.New("prod", unthrottled(clusters[0].Config))
	must(b, err)
	s.dr, err = cluster.New("dr", unthrottled(clusters[1].Config))
	must(b, err)
	s.drCS, err = kubernetes.NewForConfig(unthrottled(clusters[1].Config))
	must(b, err)
	s.bin, err = testbed.BuildBinary(s.dir)
	must(b, err)
	s.prodKubeconfg, err = clusters[0].WriteKubeconfig(s.dir)
	must(b, err)
	_, err = clusters[1].WriteKubeconfig(s.dir)
	must(b, err)

	ctx := context.Background()
	must(b, s.prod.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: controllerNS}}))
	must(b, s.prod.Client.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "dr-cluster-kubeconfig", Namespace: controllerNS},
		Data: map[string][]byte{"kubeconfig": clusters[1].Kubeconfig}}))
	must(b, s.prod.Client.Create(ctx, &drv1.RemoteCluster{ObjectMeta: metav1.ObjectMeta{Name: "dr", Namespace: controllerNS},
		Spec: drv1.RemoteClusterSpec{KubeconfigSecretRef: drv1.SecretKeyReference{Name: "dr-cluster-kubeconfig"}}}))
	s.startController(b)
	b.Cleanup(func() { s.stopController(b) })
	return s
}

func unthrottled(cfg *rest.Config) *rest.Config {
	c := rest.CopyConfig(cfg)
	c.QPS, c.Burst = -1, 0
	return c
}

// startController starts `dr-syncer controller` with the defaults and waits until it is ready.
func (s *readmeSetup) startController(b *testing.B) {
	s.metricsAddr, s.probeAddr = freeAddr(b), freeAddr(b)
	s.ctrl = exec.Command(s.bin, "controller", "--kubeconfig", s.prodKubeconfg, "--namespace", controllerNS,
		"--metrics-bind-address", s.metricsAddr, "--health-probe-bind-address", s.probeAddr, "--log-level", "error")
	s.ctrl.Stdout, s.ctrl.Stderr = io.Discard, os.Stderr
	must(b, s.ctrl.Start())
	idleRSS(b, s.ctrl.Process.Pid, s.probeAddr)
}

// stopController stops the controller as Kubernetes stops a pod (SIGTERM) and waits for it.
func (s *readmeSetup) stopController(b *testing.B) {
	if s.ctrl == nil {
		return
	}
	_ = s.ctrl.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = s.ctrl.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = s.ctrl.Process.Kill()
		<-done
	}
	s.ctrl = nil
}

func (s *readmeSetup) rss(b *testing.B) float64 { return readRSS(b, s.ctrl.Process.Pid) }

// createMapping creates a Manual NamespaceMapping from src in prod to dest in dr.
func (s *readmeSetup) createMapping(b *testing.B, name, src, dest string) {
	must(b, s.prod.Client.Create(context.Background(), &drv1.NamespaceMapping{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: controllerNS},
		Spec: drv1.NamespaceMappingSpec{DestinationCluster: "dr", SourceNamespace: src, DestinationNamespace: dest,
			ReplicationMode: drv1.ModeManual},
	}))
}

// requestSync sets a new sync-now value on mappings and returns it.
func (s *readmeSetup) requestSync(b *testing.B, names ...string) string {
	value := fmt.Sprintf("bench-%d", time.Now().UnixNano())
	for _, name := range names {
		m := &drv1.NamespaceMapping{}
		must(b, s.prod.Client.Get(context.Background(), client.ObjectKey{Namespace: controllerNS, Name: name}, m))
		patch := client.MergeFrom(m.DeepCopy())
		if m.Annotations == nil {
			m.Annotations = map[string]string{}
		}
		m.Annotations[drv1.AnnotationSyncNow] = value
		must(b, s.prod.Client.Patch(context.Background(), m, patch))
	}
	return value
}

// waitSynced waits until the mapping handled request value and returns its status.
func (s *readmeSetup) waitSynced(b *testing.B, name, value string, timeout time.Duration) *drv1.NamespaceMapping {
	m := &drv1.NamespaceMapping{}
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		if err := s.prod.Client.Get(ctx, client.ObjectKey{Namespace: controllerNS, Name: name}, m); err != nil {
			return false, nil
		}
		return m.Status.LastHandledSyncRequest == value && m.Status.LastSyncDuration != nil, nil
	})
	if err != nil {
		b.Fatalf("mapping %s did not handle %s: %v: %+v", name, value, err, m.Status)
	}
	if m.Status.Phase != drv1.PhaseSynced || m.Status.LastSyncStats == nil || m.Status.LastSyncStats.Failed != 0 {
		b.Fatalf("mapping %s: phase %s, stats %+v, failures %+v", name, m.Status.Phase, m.Status.LastSyncStats, m.Status.FailedResources)
	}
	return m
}

// sync requests a sync of one mapping and returns its status and the wall time until the
// status showed it.
func (s *readmeSetup) sync(b *testing.B, name string, timeout time.Duration) (*drv1.NamespaceMapping, time.Duration) {
	start := time.Now()
	m := s.waitSynced(b, name, s.requestSync(b, name), timeout)
	return m, time.Since(start)
}

// requests are the DR API server's own request counts (apiserver_request_total).
type requests struct {
	reads, writes, dryRuns float64
	// byKind counts writes and dry runs by "VERB resource" (dry runs marked), to name them.
	byKind map[string]float64
}

func (r requests) minus(o requests) requests {
	d := requests{r.reads - o.reads, r.writes - o.writes, r.dryRuns - o.dryRuns, map[string]float64{}}
	for k, v := range r.byKind {
		if v-o.byKind[k] > 0 {
			d.byKind[k] = v - o.byKind[k]
		}
	}
	return d
}

// drRequests reads the DR API server's request counters: they count every request it served,
// whoever sent it, without a proxy in the way of the timings.
func (s *readmeSetup) drRequests(b *testing.B) requests {
	raw, err := s.drCS.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(context.Background())
	must(b, err)
	out := requests{byKind: map[string]float64{}}
	sc := bufio.NewScanner(strings.NewReader(string(raw)))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "apiserver_request_total{") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		must(b, err)
		verb, dry := label(line, "verb"), label(line, "dry_run")
		switch {
		case label(line, "resource") == "leases":
			// The API server renews its own identity Lease; dr-syncer writes no Lease to DR.
			out.byKind["not counted: "+verb+" leases"] += v
		case verb == "GET" || verb == "LIST" || verb == "WATCH" || verb == "WATCHLIST":
			out.reads += v
		case dry != "":
			out.dryRuns += v
			out.byKind[verb+" "+label(line, "resource")+" (dry run)"] += v
		default:
			out.writes += v
			out.byKind[verb+" "+label(line, "resource")] += v
		}
	}
	return out
}

func label(line, name string) string {
	_, rest, ok := strings.Cut(line, name+`="`)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, `"`)
	return v
}

// load is the machine's 1-minute load average, noted with each figure (the machine is shared).
func load() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(raw))[0]
}

// envInt reads a count from the environment, with a default.
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
