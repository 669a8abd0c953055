package standby_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

const (
	// timeout bounds every wait for workloads to come up or go down: generous, the machine is
	// shared and runs two clusters with their controllers.
	timeout  = 2 * time.Minute
	interval = 250 * time.Millisecond
)

var nsCounter atomic.Int32

// newNamespace creates a uniquely named namespace in prod.
func newNamespace(g Gomega, prefix string) string {
	name := fmt.Sprintf("%s-%d", prefix, nsCounter.Add(1))
	g.Expect(prod.Client.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})).To(Succeed())
	return name
}

func create(g Gomega, objs ...client.Object) {
	for _, o := range objs {
		g.Expect(prod.Client.Create(context.Background(), o)).To(Succeed(), "creating %T %s", o, o.GetName())
	}
}

// template is a Pod template labelled app=<app>: each workload has its own label, so that no two
// controllers fight over the same Pods.
func template(app string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": app}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "registry.example/" + app}}},
	}
}

func selector(app string) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchLabels: map[string]string{"app": app}}
}

// everyPodKind returns one object of every kind that runs Pods, running in ns: a Deployment,
// a StatefulSet, a DaemonSet, a ReplicationController, a bare ReplicaSet, a Job and a CronJob
// that fires every minute.
func everyPodKind(ns string) []client.Object {
	meta := func(name string) metav1.ObjectMeta { return metav1.ObjectMeta{Name: name, Namespace: ns} }
	job := template("once")
	job.Spec.RestartPolicy = corev1.RestartPolicyNever
	tick := template("tick")
	tick.Spec.RestartPolicy = corev1.RestartPolicyNever
	return []client.Object{
		&appsv1.Deployment{ObjectMeta: meta("web"), Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](3), Selector: selector("web"), Template: template("web")}},
		&appsv1.StatefulSet{ObjectMeta: meta("db"), Spec: appsv1.StatefulSetSpec{
			Replicas: ptr.To[int32](2), Selector: selector("db"), Template: template("db")}},
		&appsv1.DaemonSet{ObjectMeta: meta("agent"), Spec: appsv1.DaemonSetSpec{
			Selector: selector("agent"), Template: template("agent")}},
		&corev1.ReplicationController{ObjectMeta: meta("legacy"), Spec: corev1.ReplicationControllerSpec{
			Replicas: ptr.To[int32](2), Selector: map[string]string{"app": "legacy"}, Template: ptr.To(template("legacy"))}},
		&appsv1.ReplicaSet{ObjectMeta: meta("standalone"), Spec: appsv1.ReplicaSetSpec{
			Replicas: ptr.To[int32](2), Selector: selector("standalone"), Template: template("standalone")}},
		&batchv1.Job{ObjectMeta: meta("once"), Spec: batchv1.JobSpec{Template: job}},
		// No history: the CronJob controller deletes each finished Job (and the GC its Pod), so
		// "no Pods" is exact whichever side last ran it.
		&batchv1.CronJob{ObjectMeta: meta("tick"), Spec: batchv1.CronJobSpec{
			Schedule: "* * * * *", ConcurrencyPolicy: batchv1.ForbidConcurrent,
			SuccessfulJobsHistoryLimit: ptr.To[int32](0), FailedJobsHistoryLimit: ptr.To[int32](0),
			JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: tick}}}},
	}
}

// replicaKinds are the workloads of everyPodKind whose ready Pods are counted, by "Kind/name".
var replicaKinds = []string{"Deployment/web", "StatefulSet/db", "DaemonSet/agent", "ReplicationController/legacy", "ReplicaSet/standalone"}

// running is everyPodKind's ready Pods when it runs on a cluster of `nodes` nodes.
var running = map[string]int32{
	"Deployment/web": 3, "StatefulSet/db": 2, "DaemonSet/agent": nodes, "ReplicationController/legacy": 2, "ReplicaSet/standalone": 2,
}

// readyPods reads, for each of replicaKinds in ns, how many ready Pods its controller reports,
// and whether the controller has seen the latest spec.
func readyPods(ctx context.Context, cs kubernetes.Interface, ns string) (map[string]int32, error) {
	out := map[string]int32{}
	d, err := cs.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	out["Deployment/web"] = ifObserved(d.Status.ReadyReplicas, d.Status.ObservedGeneration, d.Generation)
	s, err := cs.AppsV1().StatefulSets(ns).Get(ctx, "db", metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	out["StatefulSet/db"] = ifObserved(s.Status.ReadyReplicas, s.Status.ObservedGeneration, s.Generation)
	ds, err := cs.AppsV1().DaemonSets(ns).Get(ctx, "agent", metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	out["DaemonSet/agent"] = ifObserved(ds.Status.NumberReady, ds.Status.ObservedGeneration, ds.Generation)
	rc, err := cs.CoreV1().ReplicationControllers(ns).Get(ctx, "legacy", metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	out["ReplicationController/legacy"] = ifObserved(rc.Status.ReadyReplicas, rc.Status.ObservedGeneration, rc.Generation)
	rs, err := cs.AppsV1().ReplicaSets(ns).Get(ctx, "standalone", metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	out["ReplicaSet/standalone"] = ifObserved(rs.Status.ReadyReplicas, rs.Status.ObservedGeneration, rs.Generation)
	return out, nil
}

// ifObserved is n when the controller has seen generation gen, else -1: a count for an old spec
// says nothing.
func ifObserved(n int32, observed, gen int64) int32 {
	if observed < gen {
		return -1
	}
	return n
}

// recordedCounts reads what the parked DR copies in ns recorded: the source replica count of
// each replica kind, and for the DaemonSet one Pod per node (its recorded nodeSelector is the
// source's, which every node matches here).
func recordedCounts(g Gomega, ns string) map[string]int32 {
	ctx := context.Background()
	out := map[string]int32{"DaemonSet/agent": nodes}
	objs := map[string]client.Object{
		"Deployment/web": &appsv1.Deployment{}, "StatefulSet/db": &appsv1.StatefulSet{},
		"ReplicationController/legacy": &corev1.ReplicationController{}, "ReplicaSet/standalone": &appsv1.ReplicaSet{},
	}
	for key, obj := range objs {
		_, name, _ := strings.Cut(key, "/")
		g.Expect(dr.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, obj)).To(Succeed(), key)
		v, ok := obj.GetAnnotations()[drv1.AnnotationOriginalReplicas]
		g.Expect(ok).To(BeTrue(), "%s in DR records no %s", key, drv1.AnnotationOriginalReplicas)
		n, err := strconv.ParseInt(v, 10, 32)
		g.Expect(err).NotTo(HaveOccurred(), "%s: %s=%q", key, drv1.AnnotationOriginalReplicas, v)
		out[key] = int32(n)
	}
	ds := &appsv1.DaemonSet{}
	g.Expect(dr.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "agent"}, ds)).To(Succeed())
	g.Expect(ds.Annotations).To(HaveKey(drv1.AnnotationOriginalNodeSelector))
	return out
}

// expectReady waits until every workload of want in ns has exactly its count of ready Pods.
func expectReady(g Gomega, cs kubernetes.Interface, ns string, want map[string]int32) {
	g.Eventually(func(g Gomega) {
		got, err := readyPods(context.Background(), cs, ns)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(got).To(Equal(want))
	}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
}

// activePods lists the Pods of ns that are not finished (Pending or Running), as "name (owner)".
func activePods(ctx context.Context, cs kubernetes.Interface, ns string) ([]string, error) {
	l, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range l.Items {
		if p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed {
			out = append(out, describePod(&p))
		}
	}
	return out, nil
}

func describePod(p *corev1.Pod) string {
	owner := "no owner"
	if ref := metav1.GetControllerOfNoCopy(p); ref != nil {
		owner = ref.Kind + "/" + ref.Name
	}
	return fmt.Sprintf("%s (%s, %s)", p.Name, owner, p.Status.Phase)
}

// podWatch records every Pod that appears in a namespace, from the moment it starts: a Pod that
// lives for a second between two lists is seen all the same.
type podWatch struct {
	mu   sync.Mutex
	seen []string
	w    *watchtools.RetryWatcher
	done chan struct{}
}

// watchPods starts watching the Pods of ns in cs (the namespace need not exist yet).
func watchPods(t *testing.T, cs kubernetes.Interface, ns string) *podWatch {
	t.Helper()
	ctx := context.Background()
	l, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pw := &podWatch{done: make(chan struct{})}
	for _, p := range l.Items {
		pw.seen = append(pw.seen, describePod(&p))
	}
	pw.w, err = watchtools.NewRetryWatcherWithContext(ctx, l.ResourceVersion, &cache.ListWatch{
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			return cs.CoreV1().Pods(ns).Watch(ctx, o)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(pw.done)
		for ev := range pw.w.ResultChan() {
			if p, ok := ev.Object.(*corev1.Pod); ok && (ev.Type == watch.Added || ev.Type == watch.Modified) {
				pw.mu.Lock()
				pw.seen = append(pw.seen, string(ev.Type)+" "+describePod(p))
				pw.mu.Unlock()
			}
		}
	}()
	t.Cleanup(pw.stop)
	return pw
}

func (pw *podWatch) stop() {
	pw.w.Stop()
	<-pw.done
}

// pods is what the watch has seen so far.
func (pw *podWatch) pods() []string {
	pw.mu.Lock()
	defer pw.mu.Unlock()
	return slices.Clone(pw.seen)
}
