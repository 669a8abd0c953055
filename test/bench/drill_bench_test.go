package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/cluster"
	"github.com/dr-syncer/dr-syncer/internal/engine"
	"github.com/dr-syncer/dr-syncer/internal/ops"
	"github.com/dr-syncer/dr-syncer/internal/testbed"
	"github.com/dr-syncer/dr-syncer/internal/transform"
)

// drillApp is the application of BenchmarkDrill: 6 Deployments of 3 replicas, 2 StatefulSets
// of 2, a DaemonSet, with a Service and a ConfigMap each (27 objects, 24 Pods on 3 nodes).
func drillApp(ns string) []client.Object {
	var out []client.Object
	add := func(name string, w client.Object) {
		out = append(out,
			&corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
				ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Data: map[string]string{"k": "v"}},
			&corev1.Service{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
				ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
				Spec:       corev1.ServiceSpec{Selector: map[string]string{"app": name}, Ports: []corev1.ServicePort{{Port: 80}}}},
			w)
	}
	tmpl := func(name string) corev1.PodTemplateSpec {
		return corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27"}}}}
	}
	sel := func(name string) *metav1.LabelSelector {
		return &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}}
	}
	for i := range 6 {
		name := fmt.Sprintf("web-%d", i)
		add(name, &appsv1.Deployment{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Spec:       appsv1.DeploymentSpec{Replicas: ptr.To[int32](3), Selector: sel(name), Template: tmpl(name)}})
	}
	for i := range 2 {
		name := fmt.Sprintf("db-%d", i)
		add(name, &appsv1.StatefulSet{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "StatefulSet"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Spec:       appsv1.StatefulSetSpec{Replicas: ptr.To[int32](2), ServiceName: name, Selector: sel(name), Template: tmpl(name)}})
	}
	add("agent", &appsv1.DaemonSet{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "DaemonSet"},
		ObjectMeta: metav1.ObjectMeta{Name: "agent", Namespace: ns},
		Spec:       appsv1.DaemonSetSpec{Selector: sel("agent"), Template: tmpl("agent")}})
	return out
}

// workloadRefs are the workloads of objs, for ops.WaitReady.
func workloadRefs(objs []client.Object) []ops.WorkloadRef {
	var out []ops.WorkloadRef
	for _, o := range objs {
		gvk := o.GetObjectKind().GroupVersionKind()
		if gvk.Group != "apps" {
			continue
		}
		res := map[string]string{"Deployment": "deployments", "StatefulSet": "statefulsets", "DaemonSet": "daemonsets"}[gvk.Kind]
		out = append(out, ops.WorkloadRef{GVR: schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: res}, Kind: gvk.Kind, Name: o.GetName()})
	}
	return out
}

// BenchmarkDrill measures what a drill adds over the workloads' own start time, on a runnable DR
// cluster (controller manager, scheduler, 3 kwok nodes): the RTO of a drill of a parked DR
// namespace (from its start until every workload is ready) against a direct `kubectl apply` of
// the same objects into a fresh namespace followed by the same wait for readiness. Rounds
// alternate the two; the medians count.
func BenchmarkDrill(b *testing.B) {
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	clusters, err := testbed.Start(testbed.Options{Runnables: map[string]testbed.Runnables{"dr": testbed.AllRunnables(3)}}, "prod", "dr")
	if err != nil {
		b.Fatal(err)
	}
	defer testbed.StopAll(clusters)
	ctx := context.Background()
	prod, err := cluster.New("prod", clusters[0].Config)
	must(b, err)
	dr, err := cluster.New("dr", clusters[1].Config)
	must(b, err)
	dir := b.TempDir()
	kubeconfig := filepath.Join(dir, "dr.kubeconfig")
	must(b, os.WriteFile(kubeconfig, clusters[1].Kubeconfig, 0o600))

	const ns = "shop"
	app := drillApp(ns)
	must(b, prod.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
	var manifest bytes.Buffer
	for _, o := range app {
		must(b, prod.Client.Create(ctx, o.DeepCopyObject().(client.Object)))
		u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
		must(b, err)
		delete(u["metadata"].(map[string]any), "namespace")
		data, err := yaml.Marshal(u)
		must(b, err)
		manifest.WriteString("---\n")
		manifest.Write(data)
	}
	file := filepath.Join(dir, "app.yaml")
	must(b, os.WriteFile(file, manifest.Bytes(), 0o600))

	req := engine.Request{
		Source: prod, Dest: dr,
		Transform:       transform.Options{SourceNamespace: ns, DestNamespace: ns, MappingID: "bench", ScaleToZero: true},
		CreateNamespace: true, MaxDeletePercent: 50,
		ConflictPolicy: drv1.ConflictSkip, ImmutableFieldPolicy: drv1.ImmutableSkip,
		Workers: benchWorkers, Applied: engine.NewAppliedCache(),
	}
	res, err := engine.Sync(ctx, req)
	if err != nil || res.Stats.Failed != 0 {
		b.Fatalf("sync: %v (%d failed)", err, res.Stats.Failed)
	}
	scope := &ops.Scope{Source: prod, Dest: dr, SourceNamespace: ns, DestNamespace: ns, Sync: req, MappingIDs: []string{"bench"}}
	refs := workloadRefs(app)

	const rounds = 3
	var drills, directs []float64
	for round := range rounds * b.N {
		direct := fmt.Sprintf("direct-%d", round)
		start := time.Now()
		for _, args := range [][]string{{"create", "namespace", direct}, {"apply", "-n", direct, "-f", file}} {
			cmd := exec.Command(filepath.Join(assets, "kubectl"), append([]string{"--kubeconfig", kubeconfig}, args...)...)
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("kubectl %v: %v\n%s", args, err, out)
			}
		}
		if _, err := ops.WaitReady(ctx, dr, direct, refs, ops.WaitOptions{Start: start, Timeout: 5 * time.Minute}); err != nil {
			b.Fatal(err)
		}
		directs = append(directs, time.Since(start).Seconds())
		must(b, dr.Client.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: direct}}))

		rep, err := ops.Drill(ctx, scope, ops.DrillOptions{Namespace: fmt.Sprintf("drill-%d", round), Timeout: 5 * time.Minute})
		if err != nil || !rep.Ready || len(rep.Workloads) != len(refs) {
			b.Fatalf("drill: %v (ready %t, %d workloads)", err, rep.Ready, len(rep.Workloads))
		}
		drills = append(drills, rep.RTO.Seconds())
	}
	d, k := median(drills), median(directs)
	b.ReportMetric(d, "drill-rto-s")
	b.ReportMetric(k, "kubectl-apply-ready-s")
	b.ReportMetric(d/k, "drill/kubectl")
	fmt.Printf("BenchmarkDrill: %d objects, %d workloads, 24 Pods on 3 kwok nodes, %d rounds: drill RTO %.1fs, kubectl apply + ready %.1fs: ratio %.2f, %+.1fs\n",
		len(app), len(refs), len(drills), d, k, d/k, d-k)
}
