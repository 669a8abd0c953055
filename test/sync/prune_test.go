package sync_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/cluster"
)

// TestPrune: a source deletion deletes the DR copy; DR objects without the mapping's label are
// never pruned.
func TestPrune(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, g, "prune")
	create(g, prod, configMap(ns, "a"), configMap(ns, "b"))
	create(g, prod, mapping("prune", ns, ns, func(m *drv1.NamespaceMapping) { m.Spec.ResourceTypes = []string{"configmaps"} }))
	triggerSync(t, g, "prune")
	create(g, dr, configMap(ns, "hand-made"))

	g.Expect(prod.Client.Delete(ctx, configMap(ns, "b"))).To(Succeed())
	m := triggerSync(t, g, "prune")
	g.Expect(m.Status.LastSyncStats.Deleted).To(BeEquivalentTo(1), failedNames(m))
	g.Expect(absent(dr, gvkConfigMap, ns, "b")).To(BeTrue())
	get(g, dr, gvkConfigMap, ns, "a")
	get(g, dr, gvkConfigMap, ns, "hand-made")
}

// TestPruneDisabled: with prune.enabled false a source deletion leaves the DR copy.
func TestPruneDisabled(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, g, "noprune")
	create(g, prod, configMap(ns, "a"), configMap(ns, "b"))
	create(g, prod, mapping("no-prune", ns, ns, func(m *drv1.NamespaceMapping) {
		m.Spec.ResourceTypes = []string{"configmaps"}
		m.Spec.Prune.Enabled = ptr.To(false)
	}))
	triggerSync(t, g, "no-prune")
	g.Expect(prod.Client.Delete(context.Background(), configMap(ns, "b"))).To(Succeed())
	m := triggerSync(t, g, "no-prune")
	g.Expect(m.Status.LastSyncStats.Deleted).To(BeZero())
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced), failedNames(m))
	get(g, dr, gvkConfigMap, ns, "b")
}

// TestPruneGuard: a prune of more than maxDeletePercent of the managed objects is held back and
// reported until a person releases it with a new allow-prune value.
func TestPruneGuard(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, g, "guard")
	for i := range 30 {
		create(g, prod, configMap(ns, fmt.Sprintf("cm-%02d", i)))
	}
	create(g, prod, mapping("guard", ns, ns, func(m *drv1.NamespaceMapping) { m.Spec.ResourceTypes = []string{"configmaps"} }))
	m := triggerSync(t, g, "guard")
	g.Expect(m.Status.LastSyncStats.Created).To(BeEquivalentTo(30), failedNames(m))

	for i := range 20 {
		g.Expect(prod.Client.Delete(ctx, configMap(ns, fmt.Sprintf("cm-%02d", i)))).To(Succeed())
	}
	m = triggerSync(t, g, "guard")
	g.Expect(m.Status.LastSyncStats.Deleted).To(BeZero())
	blocked := condition(m, drv1.ConditionPruneBlocked)
	g.Expect(blocked).NotTo(BeNil())
	g.Expect(blocked.Status).To(Equal(metav1.ConditionTrue))
	g.Expect(blocked.Reason).To(Equal(drv1.ReasonDeleteThreshold))
	g.Expect(blocked.Message).To(ContainSubstring("20 of 30"))
	g.Expect(blocked.Message).To(ContainSubstring(drv1.AnnotationAllowPrune))
	g.Expect(countManaged(g, dr, ns)).To(Equal(30))
	g.Eventually(func(g Gomega) {
		g.Expect(mappingEvents(g, "guard", "PruneBlocked")).NotTo(BeEmpty())
	}).WithTimeout(10 * time.Second).WithPolling(interval).Should(Succeed())

	// Syncing again without approval still deletes nothing.
	m = triggerSync(t, g, "guard")
	g.Expect(m.Status.LastSyncStats.Deleted).To(BeZero())
	g.Expect(condition(m, drv1.ConditionPruneBlocked)).NotTo(BeNil())

	// A new allow-prune value releases the blocked prune and runs it at once, without a trigger.
	updateMapping(g, "guard", func(m *drv1.NamespaceMapping) { m.Annotations[drv1.AnnotationAllowPrune] = "approved-1" })
	m = waitMapping(g, "guard", func(m *drv1.NamespaceMapping) bool {
		return m.Status.LastHandledPruneApproval == "approved-1" && m.Status.Phase != drv1.PhaseSyncing
	})
	g.Expect(m.Status.LastSyncStats.Deleted).To(BeEquivalentTo(20), failedNames(m))
	g.Expect(condition(m, drv1.ConditionPruneBlocked)).To(BeNil())
	g.Expect(m.Status.LastHandledPruneApproval).To(Equal("approved-1"))
	g.Expect(countManaged(g, dr, ns)).To(Equal(10))
}

func countManaged(g Gomega, h *cluster.Handle, ns string) int {
	list := &corev1.ConfigMapList{}
	g.Expect(h.Client.List(context.Background(), list, client.InNamespace(ns), client.HasLabels{drv1.LabelMapping})).To(Succeed())
	return len(list.Items)
}

// TestPruneSkipsFailedList: when the source list of a type fails, nothing of that type is
// pruned. The source is prod reached through a RemoteCluster whose user loses the right to list
// ConfigMaps between two syncs.
func TestPruneSkipsFailedList(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	user, err := prodTB.Env.AddUser(envtest.User{Name: "limited"}, prodTB.Config)
	g.Expect(err).NotTo(HaveOccurred())
	kubeconfig, err := user.KubeConfig()
	g.Expect(err).NotTo(HaveOccurred())
	reader := func(name string, resources ...string) (*rbacv1.ClusterRole, *rbacv1.ClusterRoleBinding) {
		return &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name},
				Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: resources, Verbs: []string{"get", "list", "watch"}}}},
			&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
				RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name},
				Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "limited"}}}
	}
	baseRole, baseBinding := reader("dr-syncer-test-limited", "namespaces", "secrets", "services", "serviceaccounts")
	cmRole, cmBinding := reader("dr-syncer-test-limited-configmaps", "configmaps")
	create(g, prod, baseRole, baseBinding, cmRole, cmBinding)
	t.Cleanup(func() {
		for _, o := range []client.Object{baseRole, baseBinding, cmRole, cmBinding} {
			_ = prod.Client.Delete(context.Background(), o)
		}
	})

	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "prod-limited-kubeconfig", Namespace: controllerNS}, Data: map[string][]byte{"kubeconfig": kubeconfig}}
	rc := &drv1.RemoteCluster{ObjectMeta: metav1.ObjectMeta{Name: "prod-limited", Namespace: controllerNS},
		Spec: drv1.RemoteClusterSpec{KubeconfigSecretRef: drv1.SecretKeyReference{Name: "prod-limited-kubeconfig"}}}
	create(g, prod, secret, rc)
	t.Cleanup(func() {
		deleteMapping(NewWithT(t), "list-fail")
		_ = prod.Client.Delete(context.Background(), rc)
		_ = prod.Client.Delete(context.Background(), secret)
	})
	g.Eventually(func(g Gomega) {
		rc := &drv1.RemoteCluster{}
		g.Expect(prod.Client.Get(ctx, client.ObjectKey{Namespace: controllerNS, Name: "prod-limited"}, rc)).To(Succeed())
		ready := meta.FindStatusCondition(rc.Status.Conditions, drv1.ConditionReady)
		g.Expect(ready).NotTo(BeNil())
		g.Expect(ready.Status).To(Equal(metav1.ConditionTrue), ready.Message)
	}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())

	ns := newNamespace(t, g, "listfail")
	create(g, prod, configMap(ns, "a"), configMap(ns, "b"), &corev1.Secret{ObjectMeta: objMeta(ns, "s"), StringData: map[string]string{"k": "v"}})
	create(g, prod, mapping("list-fail", ns, ns, func(m *drv1.NamespaceMapping) {
		m.Spec.SourceCluster = "prod-limited"
		m.Spec.ResourceTypes = []string{"configmaps", "secrets"}
	}))
	m := triggerSync(t, g, "list-fail")
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced), failedNames(m))
	g.Expect(m.Status.LastSyncStats.Created).To(BeEquivalentTo(3))
	g.Expect(get(g, dr, gvkConfigMap, ns, "a").GetAnnotations()).To(HaveKeyWithValue(drv1.AnnotationSource, "prod-limited/"+ns+"/a"))

	// Revoke, and wait until the API server enforces it, so the next sync cannot list ConfigMaps.
	g.Expect(prod.Client.Delete(ctx, cmBinding)).To(Succeed())
	limited, err := cluster.New("limited", user.Config())
	g.Expect(err).NotTo(HaveOccurred())
	g.Eventually(func() bool {
		return apierrors.IsForbidden(limited.Client.List(ctx, &corev1.ConfigMapList{}, client.InNamespace(ns)))
	}).WithTimeout(timeout).WithPolling(interval).Should(BeTrue())
	g.Expect(prod.Client.Delete(ctx, configMap(ns, "a"))).To(Succeed())
	g.Expect(prod.Client.Delete(ctx, configMap(ns, "b"))).To(Succeed())

	m = triggerSync(t, g, "list-fail")
	f := failure(m, "ConfigMap", "")
	g.Expect(f).NotTo(BeNil(), failedNames(m))
	g.Expect(f.Reason).To(Equal("ListFailed"))
	g.Expect(m.Status.LastSyncStats.Deleted).To(BeZero())
	g.Expect(condition(m, drv1.ConditionReady).Status).To(Equal(metav1.ConditionFalse))
	get(g, dr, gvkConfigMap, ns, "a")
	get(g, dr, gvkConfigMap, ns, "b")
	get(g, dr, gvkSecret, ns, "s")
}
