package testbed_test

import (
	"context"
	"maps"
	"os"
	"slices"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/dr-syncer/dr-syncer/internal/testbed"
)

// TestRunnablesRunADeployment proves the runnable test bed runs workloads: a Deployment gets a
// ReplicaSet, Pods, nodes for them, and ready replicas; deleting it lets the garbage collector
// remove its ReplicaSet and Pods. It logs the runnables' start time and memory (the figures in
// docs/development.md).
func TestRunnablesRunADeployment(t *testing.T) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Fatal("KUBEBUILDER_ASSETS not set: run through make test (hack/testbin.sh builds the binaries)")
	}
	clusters, err := testbed.Start(testbed.Options{}, "runnable")
	if err != nil {
		t.Fatal(err)
	}
	c := clusters[0]
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Error(err)
		}
	})
	start := time.Now()
	if err := c.StartRunnables(testbed.AllRunnables(2)); err != nil {
		t.Fatal(err)
	}
	t.Logf("runnables (controller manager, scheduler, kwok with 2 nodes) serving in %s", time.Since(start).Round(10*time.Millisecond))
	t.Cleanup(func() {
		if t.Failed() {
			c.RunnableLogTails(t.Output(), 40)
		}
	})

	cs := kubernetes.NewForConfigOrDie(c.Config)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	labels := map[string]string{"app": "web"}
	deploy := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: metav1.NamespaceDefault},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](3),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx"}}},
			},
		},
	}
	created := time.Now()
	if _, err := cs.AppsV1().Deployments(deploy.Namespace).Create(ctx, deploy, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		d, err := cs.AppsV1().Deployments(deploy.Namespace).Get(ctx, deploy.Name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		return d.Status.ReadyReplicas == 3 && d.Status.ObservedGeneration == d.Generation, nil
	})
	if err != nil {
		dumpNamespace(t, cs, deploy.Namespace)
		t.Fatalf("Deployment never had 3 ready replicas: %v", err)
	}
	t.Logf("Deployment with 3 replicas ready in %s", time.Since(created).Round(10*time.Millisecond))
	pods, err := cs.CoreV1().Pods(deploy.Namespace).List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		if p.Spec.NodeName == "" || p.Status.Phase != corev1.PodRunning {
			t.Errorf("pod %s: node %q, phase %s; want a kwok node and Running", p.Name, p.Spec.NodeName, p.Status.Phase)
		}
	}

	rss, err := c.RunnableRSS()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range slices.Sorted(maps.Keys(rss)) {
		t.Logf("RSS %s: %d MiB", name, rss[name]>>20)
	}

	// The garbage collector runs: the Deployment's ReplicaSet and Pods go with it.
	if err := cs.AppsV1().Deployments(deploy.Namespace).Delete(ctx, deploy.Name, metav1.DeleteOptions{
		PropagationPolicy: ptr.To(metav1.DeletePropagationBackground),
	}); err != nil {
		t.Fatal(err)
	}
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		rs, err := cs.AppsV1().ReplicaSets(deploy.Namespace).List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
		if err != nil {
			return false, err
		}
		pods, err := cs.CoreV1().Pods(deploy.Namespace).List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
		if err != nil {
			return false, err
		}
		return len(rs.Items) == 0 && len(pods.Items) == 0, nil
	})
	if err != nil {
		t.Fatalf("garbage collector left the Deployment's ReplicaSet or Pods: %v", err)
	}
}

// dumpNamespace logs the ReplicaSets, Pods and Events of ns: what a failed workload test needs.
func dumpNamespace(t *testing.T, cs kubernetes.Interface, ns string) {
	ctx := context.Background()
	if l, err := cs.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{}); err == nil {
		for _, rs := range l.Items {
			t.Logf("ReplicaSet %s: replicas %d, ready %d", rs.Name, ptr.Deref(rs.Spec.Replicas, 1), rs.Status.ReadyReplicas)
		}
	}
	if l, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{}); err == nil {
		for _, p := range l.Items {
			t.Logf("Pod %s: node %q, phase %s", p.Name, p.Spec.NodeName, p.Status.Phase)
		}
	}
	if l, err := cs.CoreV1().Events(ns).List(ctx, metav1.ListOptions{}); err == nil {
		for _, e := range l.Items {
			t.Logf("Event %s %s/%s: %s %s", e.Type, e.InvolvedObject.Kind, e.InvolvedObject.Name, e.Reason, e.Message)
		}
	}
}
