package cli_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/cluster"
	"github.com/dr-syncer/dr-syncer/internal/testbed/harness"
)

const (
	timeout  = 60 * time.Second
	interval = 100 * time.Millisecond
)

// result is the outcome of one command.
type result = harness.CLIResult

// dr-syncer runs the command line in-process, as Execute does, and returns what it printed.
func drSyncer(t *testing.T, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	return drSyncerCtx(ctx, args...)
}

func drSyncerCtx(ctx context.Context, args ...string) result {
	return harness.RunCLI(ctx, noWait(args)...)
}

// noWait adds --wait=false to a cutover that does not set --wait: this package's API servers run
// no controllers, so no workload ever becomes ready (the runnable bed's tests wait).
func noWait(args []string) []string {
	if len(args) == 0 || args[0] != "cutover" {
		return args
	}
	for _, a := range args {
		if strings.HasPrefix(a, "--wait") {
			return args
		}
	}
	return append(slices.Clone(args), "--wait=false")
}

// flagForm are the cluster flags of the flag form between prod and dr, one kubeconfig file.
func flagForm(ns string) []string {
	return []string{"--source-kubeconfig", kubeconfigs["both"], "--source-context", "prod",
		"--dest-kubeconfig", kubeconfigs["both"], "--dest-context", "dr", "--source-namespace", ns}
}

var nsCounter atomic.Int32

// newNamespace creates a uniquely named namespace in h.
func newNamespace(g Gomega, h *cluster.Handle, prefix string) string {
	name := fmt.Sprintf("%s-%d", prefix, nsCounter.Add(1))
	g.Expect(h.Client.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})).To(Succeed())
	return name
}

func create(g Gomega, h *cluster.Handle, objs ...client.Object) {
	for _, o := range objs {
		g.Expect(h.Client.Create(context.Background(), o)).To(Succeed(), "creating %T %s", o, o.GetName())
	}
}

func podSpec() corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "x"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}},
	}
}

// workloads returns one of every kind dr-syncer parks, running in ns.
func workloads(ns string) []client.Object {
	sel := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "x"}}
	tmpl := podSpec()
	ds := podSpec()
	ds.Spec.NodeSelector = map[string]string{"disk": "ssd"}
	return []client.Object{
		&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
			Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](3), Selector: sel, Template: tmpl}},
		&appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: ns},
			Spec: appsv1.StatefulSetSpec{Replicas: ptr.To[int32](2), Selector: sel, Template: tmpl}},
		&appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "agent", Namespace: ns},
			Spec: appsv1.DaemonSetSpec{Selector: sel, Template: ds}},
		&batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: "nightly", Namespace: ns},
			Spec: batchv1.CronJobSpec{Schedule: "@daily", Suspend: ptr.To(false), JobTemplate: batchv1.JobTemplateSpec{
				Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
					RestartPolicy: corev1.RestartPolicyNever, Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}}}}},
	}
}

var (
	gvkDeployment  = schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}
	gvkStatefulSet = schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "StatefulSet"}
	gvkDaemonSet   = schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "DaemonSet"}
	gvkCronJob     = schema.GroupVersionKind{Group: "batch", Version: "v1", Kind: "CronJob"}
	gvkConfigMap   = schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}
)

// workloadState is what cutover and failback change, per workload of ns in h.
type workloadState struct {
	webReplicas, dbReplicas int64
	nightlySuspended        bool
	agentNodeSelector       map[string]string
}

// running is the state of workloads() as created.
var running = workloadState{webReplicas: 3, dbReplicas: 2, agentNodeSelector: map[string]string{"disk": "ssd"}}

// parked is the state dr-syncer keeps workloads in while they must not run.
var parked = workloadState{nightlySuspended: true, agentNodeSelector: map[string]string{"dr-syncer.io/parked": "true"}}

func stateOf(g Gomega, h *cluster.Handle, ns string) workloadState {
	var s workloadState
	s.webReplicas = nestedInt(g, get(g, h, gvkDeployment, ns, "web"), "spec", "replicas")
	s.dbReplicas = nestedInt(g, get(g, h, gvkStatefulSet, ns, "db"), "spec", "replicas")
	s.nightlySuspended, _, _ = unstructured.NestedBool(get(g, h, gvkCronJob, ns, "nightly").Object, "spec", "suspend")
	s.agentNodeSelector, _, _ = unstructured.NestedStringMap(get(g, h, gvkDaemonSet, ns, "agent").Object, "spec", "template", "spec", "nodeSelector")
	return s
}

func nestedInt(g Gomega, u *unstructured.Unstructured, fields ...string) int64 {
	v, _, err := unstructured.NestedInt64(u.Object, fields...)
	g.Expect(err).NotTo(HaveOccurred())
	return v
}

func get(g Gomega, h *cluster.Handle, gvk schema.GroupVersionKind, ns, name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	g.Expect(h.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, u)).To(Succeed(), "%s %s/%s", gvk.Kind, ns, name)
	return u
}

// versions maps every workload and ConfigMap of ns in h to its resourceVersion: equal maps
// before and after a command prove it wrote nothing there.
func versions(g Gomega, h *cluster.Handle, ns string) map[string]string {
	out := map[string]string{}
	for _, gvk := range []schema.GroupVersionKind{gvkDeployment, gvkStatefulSet, gvkDaemonSet, gvkCronJob, gvkConfigMap} {
		l := &unstructured.UnstructuredList{}
		l.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
		g.Expect(h.Client.List(context.Background(), l, client.InNamespace(ns))).To(Succeed())
		for _, u := range l.Items {
			out[gvk.Kind+"/"+u.GetName()] = u.GetResourceVersion()
		}
	}
	nsObj := &corev1.Namespace{}
	g.Expect(h.Client.Get(context.Background(), client.ObjectKey{Name: ns}, nsObj)).To(Succeed())
	out["Namespace"] = nsObj.ResourceVersion
	return out
}

// mapping creates a Manual NamespaceMapping in prod's controller namespace from prod's ns to dr.
func mapping(g Gomega, name, ns string) *drv1.NamespaceMapping {
	m := &drv1.NamespaceMapping{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: controllerNS},
		Spec:       drv1.NamespaceMappingSpec{DestinationCluster: drClusterRef, SourceNamespace: ns, ReplicationMode: drv1.ModeManual},
	}
	create(g, prod, m)
	return m
}

func getMapping(g Gomega, h *cluster.Handle, ns, name string) *drv1.NamespaceMapping {
	m := &drv1.NamespaceMapping{}
	g.Expect(h.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, m)).To(Succeed())
	return m
}

// lines returns the lines of s that contain every one of parts.
func lines(s string, parts ...string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(l, p)
		}
		if ok {
			out = append(out, l)
		}
	}
	return out
}

// missing tells whether obj (name and namespace set) does not exist in h.
func missing(h *cluster.Handle, obj client.Object) bool {
	return apierrors.IsNotFound(h.Client.Get(context.Background(), client.ObjectKeyFromObject(obj), obj))
}

func writeFile(path string, data []byte) error { return os.WriteFile(path, data, 0o600) }
