package sync_test

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// TestLiveDestinationIsNeverParked: after cutover marks the DR namespace live, a sync (here a
// Manual trigger; a Scheduled or Continuous mapping the cutover could not pause alike) refuses to
// write into it instead of parking the workloads that now serve production.
func TestLiveDestinationIsNeverParked(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, g, "live-dr")
	create(g, prod, deployment(ns, "web", 3))
	create(g, prod, mapping("live-dr", ns, ns))
	triggerSync(t, g, "live-dr")

	// What cutover does: mark the namespace live and scale the workload up.
	nsObj := &corev1.Namespace{}
	g.Expect(dr.Client.Get(ctx, client.ObjectKey{Name: ns}, nsObj)).To(Succeed())
	patch := client.MergeFrom(nsObj.DeepCopy())
	since := metav1.Now().UTC().Format("2006-01-02T15:04:05Z")
	nsObj.Annotations = map[string]string{drv1.AnnotationLiveSince: since}
	g.Expect(dr.Client.Patch(ctx, nsObj, patch)).To(Succeed())
	dep := get(g, dr, gvkDeployment, ns, "web")
	g.Expect(unstructuredSetReplicas(dep, 3)).To(Succeed())
	g.Expect(dr.Client.Update(ctx, dep, client.FieldOwner("cutover"))).To(Succeed())

	m := triggerSync(t, g, "live-dr")
	c := condition(m, drv1.ConditionReady)
	g.Expect(c.Status).To(Equal(metav1.ConditionFalse))
	g.Expect(c.Reason).To(Equal(drv1.ReasonDestinationLive))
	g.Expect(c.Message).To(ContainSubstring("failback"))
	// A sync that finds DR live records since when (status.liveSince), for status and kubectl.
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseLive))
	g.Expect(m.Status.LiveSince).NotTo(BeNil())
	g.Expect(m.Status.LiveSince.UTC().Format(time.RFC3339)).To(Equal(since))
	g.Expect(nested(g, get(g, dr, gvkDeployment, ns, "web"), "spec", "replicas")).To(BeEquivalentTo(3))
}
