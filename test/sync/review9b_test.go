package sync_test

// Reproductions from the hostile review of the newly parked kinds (branch review9b). Each test
// names the behaviour the docs promise; it fails while the finding stands.

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// TestFailbackNeverRerunsAJobThatFinishedInDR: cutover resumes a Job in DR "only if unfinished
// at the source", so that it never runs twice. Failback is the mirror image but has no such
// rule: a Job the cutover suspended half-way in production, then ran to completion in DR, is
// resumed in production by the failback (without --reverse-sync, the default), and runs a
// second time — a migration or a billing run done on both sides.
func TestFailbackNeverRerunsAJobThatFinishedInDR(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, g, "jobs-back")
	create(g, prod, job(ns, "migrate"))
	create(g, prod, mapping("jobs-back", ns, ns, func(m *drv1.NamespaceMapping) { m.Spec.ResourceTypes = []string{"jobs"} }))
	m := triggerSync(t, g, "jobs-back")
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced), failedNames(m))

	s := opsScope(ns, ns, "jobs-back")
	cutover(g, s)
	g.Expect(nested(g, get(g, dr, gvkJob, ns, "migrate"), "spec", "suspend")).To(Equal(false), "the unfinished Job runs in DR")
	g.Expect(nested(g, get(g, prod, gvkJob, ns, "migrate"), "spec", "suspend")).To(Equal(true), "and is suspended at the source")

	// It completes in DR.
	done := &batchv1.Job{}
	g.Expect(dr.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "migrate"}, done)).To(Succeed())
	now := metav1.Now()
	done.Status = batchv1.JobStatus{StartTime: &now, CompletionTime: &now, Succeeded: 1, Conditions: []batchv1.JobCondition{
		{Type: batchv1.JobSuccessCriteriaMet, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: batchv1.JobComplete, Status: corev1.ConditionTrue, LastTransitionTime: now},
	}}
	g.Expect(dr.Client.Status().Update(ctx, done)).To(Succeed())

	failback(g, s)
	g.Expect(nested(g, get(g, prod, gvkJob, ns, "migrate"), "spec", "suspend")).To(Equal(true),
		"the Job that completed in DR is resumed in production and runs a second time")
}
