package standby_test

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// parkedFor is how long a parked DR namespace is watched for Pods: a minute, so that the
// CronJob's schedule (every minute) comes due at least once.
const parkedFor = time.Minute

// mapping creates a Manual NamespaceMapping from prod's ns to the same namespace in DR, naming
// the kinds the wildcard leaves out (ReplicaSets, Jobs).
func mapping(g Gomega, ns string, edit ...func(*drv1.NamespaceMapping)) string {
	m := &drv1.NamespaceMapping{
		ObjectMeta: metav1.ObjectMeta{Name: ns, Namespace: controllerNS},
		Spec: drv1.NamespaceMappingSpec{
			DestinationCluster: drClusterRef, SourceNamespace: ns, ReplicationMode: drv1.ModeManual,
			ResourceTypes: []string{"*", "replicasets", "jobs"},
		},
	}
	for _, e := range edit {
		e(m)
	}
	create(g, m)
	return controllerNS + "/" + ns
}

// TestStandbyLifecycle takes a namespace holding every kind that runs Pods through the life of a
// standby on clusters that run workloads: synced, DR runs no Pod for a minute; after cutover every
// workload in DR has its recorded count of ready Pods, the unfinished Job runs to completion, and
// prod runs none; after failback DR runs none again and prod is back at its counts.
func TestStandbyLifecycle(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(g, "shop")
	create(g, everyPodKind(ns)...)
	// Prod runs them all: what DR must not, while parked.
	expectReady(g, prodKube, ns, running)
	g.Eventually(func(g Gomega) {
		job, err := prodKube.BatchV1().Jobs(ns).Get(ctx, "once", metav1.GetOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(job.Status.Succeeded).To(BeNumerically(">=", 1))
	}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())

	// Watched from before the mapping exists: a Pod that lives for a moment is seen too.
	drPods := watchPods(t, drKube, ns)
	ref := mapping(g, ns)
	r := drSyncer("sync", "--mapping", ref)
	g.Expect(r.Code).To(Equal(0), "%s", r)

	if !t.Run("parked means zero Pods", func(t *testing.T) {
		g := NewWithT(t)
		synced := time.Now()
		g.Consistently(drPods.pods).WithTimeout(parkedFor).WithPolling(time.Second).Should(BeEmpty(),
			"Pods appeared in the parked DR namespace %s", ns)
		g.Expect(activePods(ctx, drKube, ns)).To(BeEmpty())
		// The schedule came due in that minute: prod's CronJob ran (a loaded machine may be a
		// little late), DR's did not.
		g.Eventually(func(g Gomega) {
			cj, err := prodKube.BatchV1().CronJobs(ns).Get(ctx, "tick", metav1.GetOptions{})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(cj.Status.LastScheduleTime).NotTo(BeNil(), "prod's CronJob never fired in %s", time.Since(synced))
		}).WithTimeout(30 * time.Second).WithPolling(interval).Should(Succeed())
		g.Expect(drPods.pods()).To(BeEmpty())
		cj, err := drKube.BatchV1().CronJobs(ns).Get(ctx, "tick", metav1.GetOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(cj.Status.LastScheduleTime).To(BeNil(), "DR's parked CronJob fired")
	}) {
		return
	}

	if !t.Run("cutover comes up", func(t *testing.T) {
		g := NewWithT(t)
		recorded := recordedCounts(g, ns)
		g.Expect(recorded).To(Equal(running))
		start := time.Now()
		r := drSyncer("cutover", "--mapping", ref)
		g.Expect(r.Code).To(Equal(0), "%s", r)
		expectReady(g, drKube, ns, recorded)
		t.Logf("DR workloads ready %s after the cutover started", time.Since(start).Round(100*time.Millisecond))
		// A Job that had finished in prod is not run again; one that had not runs to completion.
		job, err := drKube.BatchV1().Jobs(ns).Get(ctx, "once", metav1.GetOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(job.Spec.Suspend).To(Equal(ptr.To(true)))
		g.Expect(job.Annotations).To(HaveKeyWithValue(drv1.AnnotationSourceFinished, string(batchv1.JobComplete)))
		g.Eventually(func(g Gomega) {
			job, err := drKube.BatchV1().Jobs(ns).Get(ctx, "dr-only", metav1.GetOptions{})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(job.Status.Succeeded).To(BeNumerically(">=", 1), "Job dr-only in DR: %+v", job.Status)
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
		cj, err := drKube.BatchV1().CronJobs(ns).Get(ctx, "tick", metav1.GetOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(cj.Spec.Suspend).To(Equal(ptr.To(false)))
		// Prod, parked by the cutover, runs nothing any more.
		g.Eventually(func() ([]string, error) { return activePods(ctx, prodKube, ns) }).
			WithTimeout(timeout).WithPolling(interval).Should(BeEmpty())
	}) {
		return
	}

	t.Run("failback parks", func(t *testing.T) {
		g := NewWithT(t)
		r := drSyncer("failback", "--mapping", ref)
		g.Expect(r.Code).To(Equal(0), "%s", r)
		// What ran to completion in DR keeps its finished Pod (the Job dr-only); nothing runs.
		g.Eventually(func() ([]string, error) { return activePods(ctx, drKube, ns) }).
			WithTimeout(timeout).WithPolling(interval).Should(BeEmpty(), "DR still runs Pods after failback")
		expectReady(g, prodKube, ns, running)
		cj, err := prodKube.BatchV1().CronJobs(ns).Get(ctx, "tick", metav1.GetOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(cj.Spec.Suspend).To(Equal(ptr.To(false)))
	})
}
