package readiness_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dr-syncer/dr-syncer/internal/cluster"
)

var nsCounter atomic.Int32

// newNamespace creates a uniquely named namespace in h.
func newNamespace(g Gomega, h *cluster.Handle, prefix string) string {
	name := fmt.Sprintf("%s-%d", prefix, nsCounter.Add(1))
	g.Expect(h.Client.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})).To(Succeed())
	return name
}

func create(g Gomega, h *cluster.Handle, objs ...client.Object) {
	for _, o := range objs {
		g.Expect(h.Client.Create(context.Background(), o)).To(Succeed(), "%T %s", o, o.GetName())
	}
}

func template(app string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": app}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "registry.example/app:1"}}},
	}
}

func selector(app string) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchLabels: map[string]string{"app": app}}
}

// shop is an application with one workload of every kind that runs Pods for good (Deployment,
// StatefulSet, ReplicationController, DaemonSet), a CronJob, Services (one of type
// LoadBalancer with a fixed nodePort) and a ConfigMap.
func shop(ns string) []client.Object {
	return []client.Object{
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "settings", Namespace: ns}, Data: map[string]string{"mode": "prod"}},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: ns}, Spec: corev1.ServiceSpec{
			ClusterIP: corev1.ClusterIPNone, Selector: map[string]string{"app": "db"}, Ports: []corev1.ServicePort{{Port: 5432}}}},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "front", Namespace: ns}, Spec: corev1.ServiceSpec{
			Type: corev1.ServiceTypeLoadBalancer, Selector: map[string]string{"app": "web"},
			Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080), NodePort: 30000 + nsCounter.Load()%2000}}}},
		&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
			Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](2), Selector: selector("web"), Template: template("web")}},
		&appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: ns},
			Spec: appsv1.StatefulSetSpec{Replicas: ptr.To[int32](2), ServiceName: "db", Selector: selector("db"), Template: template("db")}},
		&corev1.ReplicationController{ObjectMeta: metav1.ObjectMeta{Name: "legacy", Namespace: ns},
			Spec: corev1.ReplicationControllerSpec{Replicas: ptr.To[int32](2), Selector: map[string]string{"app": "legacy"}, Template: ptr.To(template("legacy"))}},
		&appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "agent", Namespace: ns},
			Spec: appsv1.DaemonSetSpec{Selector: selector("agent"), Template: template("agent")}},
		&batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: "nightly", Namespace: ns},
			Spec: batchv1.CronJobSpec{Schedule: "@daily", JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{
				Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever,
					Containers: []corev1.Container{{Name: "c", Image: "registry.example/job:1"}}}}}}}},
	}
}

// stuck is a Deployment whose Pods no node takes: it never becomes available.
func stuck(ns string) client.Object {
	tmpl := template("stuck")
	tmpl.Spec.NodeSelector = map[string]string{"disk": "none-has-this"}
	return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "stuck", Namespace: ns},
		Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](1), Selector: selector("stuck"), Template: tmpl}}
}

// readyPods counts the Ready Pods of ns in h by their app label.
func readyPods(g Gomega, h *cluster.Handle, ns string) map[string]int {
	pods := &corev1.PodList{}
	g.Expect(h.Client.List(context.Background(), pods, client.InNamespace(ns))).To(Succeed())
	out := map[string]int{}
	for _, p := range pods.Items {
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
				out[p.Labels["app"]]++
			}
		}
	}
	return out
}

// podCount counts every Pod of ns in h.
func podCount(g Gomega, h *cluster.Handle, ns string) int {
	pods := &corev1.PodList{}
	g.Expect(h.Client.List(context.Background(), pods, client.InNamespace(ns))).To(Succeed())
	return len(pods.Items)
}

// versions maps the objects of shop() in ns of h (and the namespace) to their
// resourceVersions: equal maps before and after a command prove it wrote nothing there.
func versions(g Gomega, h *cluster.Handle, ns string) map[string]string {
	out := map[string]string{}
	for _, gvk := range []schema.GroupVersionKind{
		{Group: "apps", Version: "v1", Kind: "Deployment"}, {Group: "apps", Version: "v1", Kind: "StatefulSet"},
		{Group: "apps", Version: "v1", Kind: "DaemonSet"}, {Version: "v1", Kind: "ReplicationController"},
		{Group: "batch", Version: "v1", Kind: "CronJob"}, {Version: "v1", Kind: "Service"}, {Version: "v1", Kind: "ConfigMap"},
	} {
		l := &unstructured.UnstructuredList{}
		l.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
		g.Expect(h.Client.List(context.Background(), l, client.InNamespace(ns))).To(Succeed())
		for _, u := range l.Items {
			out[gvk.Kind+"/"+u.GetName()] = u.GetResourceVersion()
		}
	}
	n := &corev1.Namespace{}
	g.Expect(h.Client.Get(context.Background(), client.ObjectKey{Name: ns}, n)).To(Succeed())
	out["Namespace"] = n.ResourceVersion
	return out
}

// synced creates objs in a new namespace of prod and syncs it into DR (flag form).
func synced(t *testing.T, g Gomega, prefix string, objs func(ns string) []client.Object) string {
	ns := newNamespace(g, prod, prefix)
	create(g, prod, objs(ns)...)
	r := drSyncer(t, append([]string{"sync"}, flagForm(ns)...)...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	return ns
}

// settledVersions is versions once DR's own controllers have written the status of the copies
// a sync just made (a Deployment's observedGeneration, ...): two reads a second apart agree.
// Taken right after a sync, versions may change without any write of dr-syncer's.
func settledVersions(g Gomega, h *cluster.Handle, ns string) map[string]string {
	var out map[string]string
	g.Eventually(func() bool {
		prev := versions(g, h, ns)
		time.Sleep(time.Second)
		out = versions(g, h, ns)
		return equality.Semantic.DeepEqual(prev, out)
	}).WithTimeout(time.Minute).Should(BeTrue(), "versions in %s/%s never settle", h.Name, ns)
	return out
}
