package sync_test

// Reproductions from the hostile review of the newly parked kinds (branch review9b). Each test
// names the behaviour the docs promise; it fails while the finding stands.

import (
	"context"
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/cluster"
	"github.com/dr-syncer/dr-syncer/internal/ops"
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

// TestAFailedListIsNoMassDeletion: "Its denominator is the mapping's own managed objects" and a
// type whose list failed is left alone (docs/concepts.md). The recorded peak counts the copies of
// every type, the current count only those of types listed in this run: when the source list of
// ConfigMaps (20 of the mapping's 23 copies) fails, the guard sees 20 objects lost, and the
// deletion of one Secret whose source is gone trips it (PruneBlocked, DeleteThresholdExceeded),
// an alert of a mass deletion that is not happening; Continuous mode's deletions are held too.
func TestAFailedListIsNoMassDeletion(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	user, err := prodTB.Env.AddUser(envtest.User{Name: "limited-peak"}, prodTB.Config)
	g.Expect(err).NotTo(HaveOccurred())
	kubeconfig, err := user.KubeConfig()
	g.Expect(err).NotTo(HaveOccurred())
	reader := func(name string, resources ...string) (*rbacv1.ClusterRole, *rbacv1.ClusterRoleBinding) {
		return &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name},
				Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: resources, Verbs: []string{"get", "list", "watch"}}}},
			&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
				RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name},
				Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "limited-peak"}}}
	}
	baseRole, baseBinding := reader("dr-syncer-test-limited-peak", "namespaces", "secrets", "services", "serviceaccounts")
	cmRole, cmBinding := reader("dr-syncer-test-limited-peak-configmaps", "configmaps")
	create(g, prod, baseRole, baseBinding, cmRole, cmBinding)
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "prod-limited-peak-kubeconfig", Namespace: controllerNS}, Data: map[string][]byte{"kubeconfig": kubeconfig}}
	rc := &drv1.RemoteCluster{ObjectMeta: metav1.ObjectMeta{Name: "prod-limited-peak", Namespace: controllerNS},
		Spec: drv1.RemoteClusterSpec{KubeconfigSecretRef: drv1.SecretKeyReference{Name: "prod-limited-peak-kubeconfig"}}}
	create(g, prod, secret, rc)
	t.Cleanup(func() {
		deleteMapping(NewWithT(t), "list-fail-peak")
		for _, o := range []client.Object{rc, secret, baseRole, baseBinding, cmRole, cmBinding} {
			_ = prod.Client.Delete(context.Background(), o)
		}
	})
	g.Eventually(func(g Gomega) {
		rc := &drv1.RemoteCluster{}
		g.Expect(prod.Client.Get(ctx, client.ObjectKey{Namespace: controllerNS, Name: "prod-limited-peak"}, rc)).To(Succeed())
		ready := meta.FindStatusCondition(rc.Status.Conditions, drv1.ConditionReady)
		g.Expect(ready).NotTo(BeNil())
		g.Expect(ready.Status).To(Equal(metav1.ConditionTrue), ready.Message)
	}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())

	ns := newNamespace(t, g, "listfail-peak")
	for i := range 20 {
		create(g, prod, configMap(ns, fmt.Sprintf("cm-%d", i)))
	}
	for i := range 3 {
		create(g, prod, &corev1.Secret{ObjectMeta: objMeta(ns, fmt.Sprintf("s-%d", i)), StringData: map[string]string{"k": "v"}})
	}
	create(g, prod, mapping("list-fail-peak", ns, ns, func(m *drv1.NamespaceMapping) {
		m.Spec.SourceCluster = "prod-limited-peak"
		m.Spec.ResourceTypes = []string{"configmaps", "secrets"}
	}))
	m := triggerSync(t, g, "list-fail-peak")
	g.Expect(m.Status.LastSyncStats.Created).To(BeEquivalentTo(23), failedNames(m))

	g.Expect(prod.Client.Delete(ctx, cmBinding)).To(Succeed())
	limited, err := cluster.New("limited-peak", user.Config())
	g.Expect(err).NotTo(HaveOccurred())
	g.Eventually(func() bool {
		return apierrors.IsForbidden(limited.Client.List(ctx, &corev1.ConfigMapList{}, client.InNamespace(ns)))
	}).WithTimeout(timeout).WithPolling(interval).Should(BeTrue())
	g.Expect(prod.Client.Delete(ctx, &corev1.Secret{ObjectMeta: objMeta(ns, "s-0")})).To(Succeed())

	m = triggerSync(t, g, "list-fail-peak")
	g.Expect(failure(m, "ConfigMap", "")).NotTo(BeNil(), "the ConfigMap list failed: %s", failedNames(m))
	blocked := condition(m, drv1.ConditionPruneBlocked)
	if blocked != nil {
		t.Logf("PruneBlocked: %s: %s", blocked.Reason, blocked.Message)
	}
	g.Expect(blocked == nil || blocked.Status != metav1.ConditionTrue).To(BeTrue(), "one Secret to delete is no mass deletion")
	g.Expect(m.Status.LastSyncStats.Deleted).To(BeEquivalentTo(1))
}

// TestCutoverNeverActivatesACustomResourceItCouldNotListAtTheSource: "Cutover does not activate a
// DR workload whose source it could not park" (docs/concepts.md, Safety rules). Cutover lists
// the source's scalable custom resources in the version the DR cluster's CRD stores. DR runs a
// newer operator (v2 added as the storage version, v1 still served); production serves v1 only.
// The sync copies the Fleet in v1 and parks it; cutover lists the source in v2, gets 404, takes
// it for "no such objects", parks nothing and activates the DR copy: the Fleet runs on both sides.
func TestCutoverNeverActivatesACustomResourceItCouldNotListAtTheSource(t *testing.T) {
	g := NewWithT(t)
	fleet := func(versions ...string) *apiextensionsv1.CustomResourceDefinition {
		crd := scalableCRD()
		crd.Name, crd.Spec.Names = "fleets.example.com", apiextensionsv1.CustomResourceDefinitionNames{Kind: "Fleet", ListKind: "FleetList", Plural: "fleets", Singular: "fleet"}
		base := crd.Spec.Versions[0]
		crd.Spec.Versions = nil
		for i, name := range versions {
			v := *base.DeepCopy()
			v.Name, v.Storage = name, i == len(versions)-1
			crd.Spec.Versions = append(crd.Spec.Versions, v)
		}
		return crd
	}
	installCRD(t, g, prod, fleet("v1"))
	installCRD(t, g, dr, fleet("v1", "v2"))
	gvk := schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Fleet"}
	ns := newNamespace(t, g, "fleets")
	f := widget(gvk, ns, "web")
	f.Object["spec"] = map[string]any{"workers": map[string]any{"count": int64(4)}}
	create(g, prod, f)
	create(g, prod, mapping("fleets", ns, ns, func(m *drv1.NamespaceMapping) { m.Spec.ResourceTypes = []string{"fleets.example.com"} }))
	t.Cleanup(func() { deleteMapping(NewWithT(t), "fleets") })
	m := triggerSync(t, g, "fleets")
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced), failedNames(m))
	count := func(h *cluster.Handle) any { return nested(g, get(g, h, gvk, ns, "web"), "spec", "workers", "count") }
	g.Expect(count(dr)).To(BeEquivalentTo(0), "parked in DR")

	rep, err := ops.Cutover(context.Background(), opsScope(ns, ns, "fleets"), ops.Options{NoSync: true, SourceTimeout: 5 * time.Second})
	t.Logf("cutover: %v, warnings %v", err, rep.Warnings)
	src, inDR := count(prod), count(dr)
	g.Expect(src != int64(0) && inDR != int64(0)).To(BeFalse(), "the Fleet runs on both sides: %v workers in prod, %v in DR", src, inDR)
}

// TestCutoverParksTheSourceWhenOneListFails: "Cutover does not activate a DR workload whose
// source it could not park" (docs/concepts.md, Safety rules). When the source answers but one
// list of a parked kind fails (here RBAC forbids CronJobs; on the day of a disaster, a CRD
// whose conversion webhook died with the outage does the same), cutover takes the whole source
// for unreachable: it parks nothing there ("the source is unreachable") and activates every DR
// copy, so the source's Deployment, which it could have parked, runs on both sides.
func TestCutoverParksTheSourceWhenOneListFails(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	user, err := prodTB.Env.AddUser(envtest.User{Name: "cutover-limited"}, prodTB.Config)
	g.Expect(err).NotTo(HaveOccurred())
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "dr-syncer-test-cutover-limited"}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"get", "list"}},
		{APIGroups: []string{""}, Resources: []string{"replicationcontrollers"}, Verbs: []string{"get", "list", "patch", "update"}},
		{APIGroups: []string{"apps"}, Resources: []string{"deployments", "statefulsets", "replicasets", "daemonsets"}, Verbs: []string{"get", "list", "patch", "update"}},
		{APIGroups: []string{"batch"}, Resources: []string{"jobs"}, Verbs: []string{"get", "list", "patch", "update"}},
	}}
	binding := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "dr-syncer-test-cutover-limited"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "cutover-limited"}}}
	create(g, prod, role, binding)
	t.Cleanup(func() {
		_ = prod.Client.Delete(context.Background(), binding)
		_ = prod.Client.Delete(context.Background(), role)
	})
	limited, err := cluster.New("prod", user.Config())
	g.Expect(err).NotTo(HaveOccurred())

	ns := newNamespace(t, g, "cut-listfail")
	create(g, prod, deployment(ns, "web", 3))
	create(g, prod, mapping("cut-listfail", ns, ns))
	t.Cleanup(func() { deleteMapping(NewWithT(t), "cut-listfail") })
	m := triggerSync(t, g, "cut-listfail")
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced), failedNames(m))
	g.Eventually(func() error {
		return limited.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, &appsv1.Deployment{})
	}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())

	s := opsScope(ns, ns, "cut-listfail")
	s.Source = limited
	rep, err := ops.Cutover(ctx, s, ops.Options{NoSync: true, SourceTimeout: 5 * time.Second})
	t.Logf("cutover: %v, warnings %v", err, rep.Warnings)
	src := nested(g, get(g, prod, gvkDeployment, ns, "web"), "spec", "replicas")
	inDR := nested(g, get(g, dr, gvkDeployment, ns, "web"), "spec", "replicas")
	g.Expect(src != int64(0) && inDR != int64(0)).To(BeFalse(), "web runs on both sides: %v replicas in prod, %v in DR", src, inDR)
}
