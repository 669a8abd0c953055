package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/cluster"
)

// TestMetrics runs the controller process against prod, syncs a namespace to dr with a Manual
// mapping and checks the documented series and their values on /metrics; the series of a deleted
// mapping and of a deleted RemoteCluster disappear.
func TestMetrics(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	prod, dr := prodClient(t), drClient(t)
	const ns, appNS, name = "e2e-metrics", "metrics-app", "app"
	setUpControllerNamespace(t, g, ns)
	g.Expect(prod.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: appNS}})).To(Succeed())
	objects := []client.Object{
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: appNS, Name: "a"}, Data: map[string]string{"k": "a"}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: appNS, Name: "b"}, Data: map[string]string{"k": "b"}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: appNS, Name: "s"}, StringData: map[string]string{"k": "s"}},
		testDeployment(appNS, "web", 2),
	}
	for _, o := range objects {
		g.Expect(prod.Create(ctx, o)).To(Succeed())
	}

	p := startControllerProcess(t, ns)
	p.waitReady(t)
	g.Expect(prod.Create(ctx, &drv1.NamespaceMapping{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       drv1.NamespaceMappingSpec{DestinationCluster: "dr", SourceNamespace: appNS, ReplicationMode: drv1.ModeManual},
	})).To(Succeed())
	started := time.Now()
	triggerSync(t, g, ns, name, "first")

	mapping := ns + "/" + name
	m := func(labels ...string) map[string]string {
		return labelMap(append([]string{"mapping", mapping}, labels...)...)
	}
	fams := p.scrape(g)
	g.Expect(value(fams, "drsyncer_sync_runs_total", m("mode", "Manual", "result", "success"))).To(Equal(1.0))
	g.Expect(value(fams, "drsyncer_sync_duration_seconds", m())).To(Equal(1.0), "histogram sample count")
	g.Expect(value(fams, "drsyncer_objects_applied_total", m("kind", "ConfigMap", "action", "created"))).To(Equal(2.0))
	g.Expect(value(fams, "drsyncer_objects_applied_total", m("kind", "Secret", "action", "created"))).To(Equal(1.0))
	g.Expect(value(fams, "drsyncer_objects_applied_total", m("kind", "Deployment", "action", "created"))).To(Equal(1.0))
	// Every object created, and nothing else but the destination namespace.
	g.Expect(sum(fams, "drsyncer_objects_applied_total", m("action", "created")) -
		max(0, value(fams, "drsyncer_objects_applied_total", m("kind", "Namespace", "action", "created")))).To(Equal(float64(len(objects))))
	last := value(fams, "drsyncer_namespacemapping_last_success_timestamp_seconds", m())
	g.Expect(last).To(And(BeNumerically(">=", float64(started.Unix())), BeNumerically("<=", float64(time.Now().Unix()))))
	g.Expect(time.Since(time.Unix(int64(last), 0))).To(BeNumerically("<", time.Minute))
	g.Expect(value(fams, "drsyncer_namespacemapping_ready", m())).To(Equal(1.0))
	g.Expect(value(fams, "drsyncer_prune_blocked", m())).To(Equal(0.0))
	g.Expect(has(fams, "drsyncer_namespacemapping_schedule_interval_seconds", m())).To(BeFalse(), "a Manual mapping has no schedule")
	g.Expect(has(fams, "drsyncer_drift_corrections_total", m())).To(BeFalse(), "nothing to correct yet")
	g.Expect(value(fams, "drsyncer_remotecluster_ready", labelMap("cluster", "dr"))).To(Equal(1.0))
	g.Expect(value(fams, "drsyncer_remotecluster_probe_duration_seconds", labelMap("cluster", "dr"))).To(BeNumerically(">=", 1), "probe histogram sample count")

	// A hand edit in dr, then a second sync: one update that corrects drift, the rest unchanged.
	cm := &corev1.ConfigMap{}
	g.Expect(dr.Get(ctx, client.ObjectKey{Namespace: appNS, Name: "a"}, cm)).To(Succeed())
	cm.Data["k"] = "hand-edit"
	g.Expect(dr.Update(ctx, cm, client.FieldOwner("kubectl-edit"))).To(Succeed())
	triggerSync(t, g, ns, name, "second")
	fams = p.scrape(g)
	g.Expect(value(fams, "drsyncer_sync_runs_total", m("mode", "Manual", "result", "success"))).To(Equal(2.0))
	g.Expect(value(fams, "drsyncer_sync_duration_seconds", m())).To(Equal(2.0))
	g.Expect(value(fams, "drsyncer_objects_applied_total", m("kind", "ConfigMap", "action", "updated"))).To(Equal(1.0))
	g.Expect(sum(fams, "drsyncer_objects_applied_total", m("action", "unchanged"))).To(Equal(float64(len(objects) - 1)))
	g.Expect(value(fams, "drsyncer_drift_corrections_total", m())).To(Equal(1.0))

	// Deleting the mapping removes every series of it; deleting the RemoteCluster removes its own.
	g.Expect(prod.Delete(ctx, &drv1.NamespaceMapping{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}})).To(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(seriesWith(p.scrape(g), "drsyncer_", "mapping", mapping)).To(BeEmpty())
	}).WithTimeout(30 * time.Second).WithPolling(200 * time.Millisecond).Should(Succeed())
	g.Expect(prod.Delete(ctx, &drv1.RemoteCluster{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "dr"}})).To(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(seriesWith(p.scrape(g), "drsyncer_", "cluster", "dr")).To(BeEmpty())
	}).WithTimeout(30 * time.Second).WithPolling(200 * time.Millisecond).Should(Succeed())
}

// prodClient and drClient are admin clients of the package's control planes.
func prodClient(t *testing.T) client.Client { return newClient(t, 0) }
func drClient(t *testing.T) client.Client   { return newClient(t, 1) }

func newClient(t *testing.T, i int) client.Client {
	t.Helper()
	c, err := client.New(clusters[i].Config, client.Options{Scheme: cluster.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// setUpControllerNamespace creates, in prod, the namespace a controller serves with a
// RemoteCluster "dr" (and its kubeconfig Secret) for the dr control plane.
func setUpControllerNamespace(t *testing.T, g Gomega, ns string) {
	t.Helper()
	ctx := context.Background()
	prod := prodClient(t)
	for _, o := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "dr-kubeconfig"}, Data: map[string][]byte{"kubeconfig": clusters[1].Kubeconfig}},
		&drv1.RemoteCluster{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "dr"},
			Spec: drv1.RemoteClusterSpec{KubeconfigSecretRef: drv1.SecretKeyReference{Name: "dr-kubeconfig"}}},
	} {
		g.Expect(prod.Create(ctx, o)).To(Succeed(), "creating %T %s", o, o.GetName())
	}
}

func testDeployment(ns, name string, replicas int32) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: appsv1.DeploymentSpec{
		Replicas: ptr.To(replicas), Selector: &metav1.LabelSelector{MatchLabels: labels},
		Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27"}}}},
	}}
}

// triggerSync sets sync-now to value and waits until the mapping has handled it successfully.
func triggerSync(t *testing.T, g Gomega, ns, name, value string) *drv1.NamespaceMapping {
	t.Helper()
	ctx := context.Background()
	prod := prodClient(t)
	m := &drv1.NamespaceMapping{}
	g.Expect(prod.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, m)).To(Succeed())
	patch := client.MergeFrom(m.DeepCopy())
	if m.Annotations == nil {
		m.Annotations = map[string]string{}
	}
	m.Annotations[drv1.AnnotationSyncNow] = value
	g.Expect(prod.Patch(ctx, m, patch)).To(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(prod.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, m)).To(Succeed())
		g.Expect(m.Status.LastHandledSyncRequest).To(Equal(value))
		g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced), "conditions %+v", m.Status.Conditions)
	}).WithTimeout(30 * time.Second).WithPolling(100 * time.Millisecond).Should(Succeed())
	return m
}

// controllerProcess is one `dr-syncer controller` process against prod.
type controllerProcess struct {
	*process
	metricsAddr, probeAddr string
}

// startControllerProcess runs the binary against prod serving ns, with extra flags.
func startControllerProcess(t *testing.T, ns string, extra ...string) *controllerProcess {
	t.Helper()
	kubeconfig := filepath.Join(t.TempDir(), "prod.kubeconfig")
	if err := os.WriteFile(kubeconfig, clusters[0].Kubeconfig, 0o600); err != nil {
		t.Fatal(err)
	}
	metricsAddr, probeAddr := freeAddr(t), freeAddr(t)
	args := append([]string{"controller", "--kubeconfig", kubeconfig, "--namespace", ns,
		"--metrics-bind-address", metricsAddr, "--health-probe-bind-address", probeAddr, "--log-format", "text"}, extra...)
	return &controllerProcess{process: startProcess(t, args...), metricsAddr: metricsAddr, probeAddr: probeAddr}
}

// waitReady waits until /readyz answers 200.
func (p *controllerProcess) waitReady(t *testing.T) {
	t.Helper()
	NewWithT(t).Eventually(func() (int, error) {
		if p.exited() {
			return 0, StopTrying("controller exited: " + fmt.Sprint(p.err))
		}
		resp, err := http.Get("http://" + p.probeAddr + "/readyz")
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}).WithTimeout(30 * time.Second).WithPolling(100 * time.Millisecond).Should(Equal(http.StatusOK))
}

// signal sends sig and waits for the process to exit; a clean exit (status 0) is expected for
// SIGTERM.
func (p *controllerProcess) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	err := p.wait(30 * time.Second)
	var exit *exec.ExitError
	switch {
	case !p.exited():
		t.Fatalf("controller %v after %v", err, sig)
	case sig == syscall.SIGTERM && errors.As(err, &exit):
		t.Fatalf("controller exited with %v after SIGTERM", err)
	}
}

// scrape reads /metrics.
func (p *controllerProcess) scrape(g Gomega) map[string]*dto.MetricFamily {
	fams, err := p.tryScrape()
	g.Expect(err).NotTo(HaveOccurred())
	return fams
}

func (p *controllerProcess) tryScrape() (map[string]*dto.MetricFamily, error) {
	resp, err := http.Get("http://" + p.metricsAddr + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	return parser.TextToMetricFamilies(resp.Body)
}

func labelMap(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// series returns the samples of a family whose labels include want.
func series(fams map[string]*dto.MetricFamily, name string, want map[string]string) []*dto.Metric {
	f := fams[name]
	if f == nil {
		return nil
	}
	var out []*dto.Metric
	for _, m := range f.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		match := true
		for k, v := range want {
			if got[k] != v {
				match = false
			}
		}
		if match {
			out = append(out, m)
		}
	}
	return out
}

func has(fams map[string]*dto.MetricFamily, name string, labels map[string]string) bool {
	return len(series(fams, name, labels)) > 0
}

// sampleValue is a counter's or gauge's value, or a histogram's sample count.
func sampleValue(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	case m.Histogram != nil:
		return float64(m.GetHistogram().GetSampleCount())
	}
	return m.GetUntyped().GetValue()
}

// value is the value of the one series of name with exactly these labels matching; -1 when absent.
func value(fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	s := series(fams, name, labels)
	switch len(s) {
	case 0:
		return -1
	case 1:
		return sampleValue(s[0])
	}
	panic(fmt.Sprintf("%d series of %s match %v", len(s), name, labels))
}

// sum adds the values of every series of name that matches labels.
func sum(fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	total := 0.0
	for _, m := range series(fams, name, labels) {
		total += sampleValue(m)
	}
	return total
}

// seriesWith lists the series of families named prefix* that carry label=value.
func seriesWith(fams map[string]*dto.MetricFamily, prefix, label, value string) []string {
	var out []string
	for name := range fams {
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		for range series(fams, name, map[string]string{label: value}) {
			out = append(out, name)
		}
	}
	return out
}
