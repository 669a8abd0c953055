package sync_test

// Safety rules of the engine's write gate (issue 9), proven through the controller on real API
// servers. Each test names the behaviour; the finding it covers is in its comment.

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/cluster"
	"github.com/dr-syncer/dr-syncer/internal/testbed"
	"github.com/dr-syncer/dr-syncer/internal/testbed/harness"
)

// markLive does what cutover's third step does: annotate the DR namespace live.
func markLive(g Gomega, h *cluster.Handle, ns string) {
	obj := &corev1.Namespace{}
	g.Expect(h.Client.Get(context.Background(), client.ObjectKey{Name: ns}, obj)).To(Succeed())
	patch := client.MergeFrom(obj.DeepCopy())
	if obj.Annotations == nil {
		obj.Annotations = map[string]string{}
	}
	obj.Annotations[drv1.AnnotationLiveSince] = time.Now().UTC().Format(time.RFC3339)
	g.Expect(h.Client.Patch(context.Background(), obj, patch)).To(Succeed())
}

// registerAlias registers another RemoteCluster for an existing control plane, reached through
// "localhost" instead of the test bed's "127.0.0.1": one cluster under two names and URLs.
func registerAlias(g Gomega, name string, target *testbed.Cluster) {
	alias := &testbed.Cluster{Kubeconfig: bytes.ReplaceAll(target.Kubeconfig, []byte("127.0.0.1"), []byte("localhost"))}
	g.Expect(bytes.Equal(alias.Kubeconfig, target.Kubeconfig)).To(BeFalse(), "the test bed kubeconfig has no 127.0.0.1 to rewrite")
	g.Expect(harness.RegisterRemoteCluster(context.Background(), prod.Client, controllerNS, name, alias)).To(Succeed())
	g.Expect(harness.WaitReady(context.Background(), prod.Client, controllerNS, name, timeout)).To(Succeed())
}

// TestDeletingMappingNeverWipesLiveNamespace (finding 1): deletionPolicy: Delete after a cutover
// leaves every copy, which now serves production, and says so with a CleanupSkipped Warning.
func TestDeletingMappingNeverWipesLiveNamespace(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, g, "live-del")
	create(g, prod, configMap(ns, "cfg"), deployment(ns, "web", 2))
	create(g, prod, mapping("live-del", ns, ns, func(m *drv1.NamespaceMapping) { m.Spec.DeletionPolicy = drv1.DeletionDelete }))
	m := triggerSync(t, g, "live-del")
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced), failedNames(m))
	markLive(g, dr, ns)

	deleteMapping(g, "live-del")
	get(g, dr, gvkConfigMap, ns, "cfg")
	get(g, dr, gvkDeployment, ns, "web")
	g.Eventually(func(g Gomega) {
		g.Expect(mappingEvents(g, "live-del", "CleanupSkipped")).NotTo(BeEmpty())
	}).WithTimeout(10 * time.Second).WithPolling(interval).Should(Succeed())
}

// TestSameClusterUnderTwoNamesIsRefused (finding 2): a RemoteCluster that reaches the
// controller's own cluster under another URL, with conflictPolicy: Adopt into the same
// namespace, is refused (Stalled, SameClusterAndNamespace) and production keeps its 3 replicas.
// Also the member the finding did not name: two RemoteClusters for the DR cluster used as
// source and destination.
func TestSameClusterUnderTwoNamesIsRefused(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	registerAlias(g, "prod-alias", prodTB)
	registerAlias(g, "dr-alias", drTB)
	rc := &drv1.RemoteCluster{}
	g.Eventually(func(g Gomega) {
		g.Expect(prod.Client.Get(ctx, client.ObjectKey{Namespace: controllerNS, Name: "prod-alias"}, rc)).To(Succeed())
		g.Expect(rc.Status.ClusterID).NotTo(BeEmpty())
	}).WithTimeout(timeout).Should(Succeed())
	prodID, err := prod.ID(ctx)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(rc.Status.ClusterID).To(Equal(prodID))

	ns := newNamespace(t, g, "self")
	create(g, prod, deployment(ns, "web", 3))
	create(g, prod, mapping("self", ns, ns, func(m *drv1.NamespaceMapping) {
		m.Spec.DestinationCluster = "prod-alias"
		m.Spec.ConflictPolicy = drv1.ConflictAdopt
		m.Spec.ReplicationMode = drv1.ModeContinuous
	}))
	m := waitMapping(g, "self", func(m *drv1.NamespaceMapping) bool {
		return meta.IsStatusConditionTrue(m.Status.Conditions, drv1.ConditionStalled)
	})
	g.Expect(condition(m, drv1.ConditionStalled).Reason).To(Equal(drv1.ReasonSameClusterAndNamespace))
	g.Expect(condition(m, drv1.ConditionReady).Status).To(Equal(metav1.ConditionFalse))
	g.Expect(condition(m, drv1.ConditionReady).Message).To(ContainSubstring("prod-alias"))
	g.Consistently(func(g Gomega) {
		dep := get(g, prod, gvkDeployment, ns, "web")
		g.Expect(nested(g, dep, "spec", "replicas")).To(BeEquivalentTo(3))
		g.Expect(dep.GetAnnotations()).NotTo(HaveKey(drv1.AnnotationOriginalReplicas))
	}).WithTimeout(3 * time.Second).WithPolling(200 * time.Millisecond).Should(Succeed())

	// DR under two names: source dr-alias, destination dr, one namespace.
	drNS := fmt.Sprintf("dr-self-%d", nsCounter.Add(1))
	create(g, dr, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: drNS}}, deployment(drNS, "web", 2))
	create(g, prod, mapping("dr-self", drNS, drNS, func(m *drv1.NamespaceMapping) {
		m.Spec.SourceCluster = "dr-alias"
		m.Spec.ConflictPolicy = drv1.ConflictAdopt
	}))
	m = triggerSyncOrStall(g, "dr-self")
	g.Expect(condition(m, drv1.ConditionStalled).Reason).To(Equal(drv1.ReasonSameClusterAndNamespace))
	g.Expect(nested(g, get(g, dr, gvkDeployment, drNS, "web"), "spec", "replicas")).To(BeEquivalentTo(2))
	g.Expect(mappingEvents(g, "dr-self", drv1.ReasonSameClusterAndNamespace)).NotTo(BeEmpty())
}

// triggerSyncOrStall waits until a mapping is Stalled (a refused spec never handles requests).
func triggerSyncOrStall(g Gomega, name string) *drv1.NamespaceMapping {
	return waitMapping(g, name, func(m *drv1.NamespaceMapping) bool {
		return meta.IsStatusConditionTrue(m.Status.Conditions, drv1.ConditionStalled)
	})
}

// selecting sets a mapping's label selector to key=value.
func selecting(key, value string) func(*drv1.NamespaceMapping) {
	return func(m *drv1.NamespaceMapping) {
		m.Spec.LabelSelector = &metav1.LabelSelector{MatchLabels: map[string]string{key: value}}
	}
}

// countCopies counts this mapping's ConfigMap copies in DR.
func countCopies(g Gomega, ns, mappingName string) func() int {
	return func() int {
		l := &corev1.ConfigMapList{}
		g.Expect(dr.Client.List(context.Background(), l, client.InNamespace(ns),
			client.MatchingLabels{drv1.LabelMapping: controllerNS + "." + mappingName})).To(Succeed())
		return len(l.Items)
	}
}

// TestContinuousRelabelIsHeldByDeleteGuard (finding 5): a label migration that makes every
// selected object stop matching is a mass deletion; Continuous mode holds it like a full sync.
func TestContinuousRelabelIsHeldByDeleteGuard(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, g, "relabel")
	for i := range 30 {
		create(g, prod, configMap(ns, fmt.Sprintf("cm-%02d", i), "tier", "keep"))
	}
	create(g, prod, mapping("relabel", ns, ns, continuousMapping, selecting("tier", "keep")))
	g.Eventually(countCopies(g, ns, "relabel")).WithTimeout(timeout).Should(Equal(30))

	for i := range 30 {
		cm := &corev1.ConfigMap{}
		g.Expect(prod.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: fmt.Sprintf("cm-%02d", i)}, cm)).To(Succeed())
		cm.Labels["tier"] = "migrated"
		g.Expect(prod.Client.Update(ctx, cm)).To(Succeed())
	}
	m := waitMapping(g, "relabel", func(m *drv1.NamespaceMapping) bool {
		return meta.IsStatusConditionTrue(m.Status.Conditions, drv1.ConditionPruneBlocked)
	})
	g.Expect(condition(m, drv1.ConditionPruneBlocked).Reason).To(Equal(drv1.ReasonDeleteThreshold))
	g.Consistently(countCopies(g, ns, "relabel")).WithTimeout(3 * time.Second).Should(Equal(30))
}

// TestContinuousDeleteGuardCountsOnlyTheMappingsObjects (finding 6): 12 selected and 30
// unselected ConfigMaps; deleting the 12 loses all of the mapping's objects, whatever else the
// namespace holds: every copy is held.
func TestContinuousDeleteGuardCountsOnlyTheMappingsObjects(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, g, "guard-den")
	for i := range 12 {
		create(g, prod, configMap(ns, fmt.Sprintf("sel-%02d", i), "pick", "yes"))
	}
	for i := range 30 {
		create(g, prod, configMap(ns, fmt.Sprintf("other-%02d", i)))
	}
	create(g, prod, mapping("guard-den", ns, ns, continuousMapping, selecting("pick", "yes")))
	g.Eventually(countCopies(g, ns, "guard-den")).WithTimeout(timeout).Should(Equal(12))
	for i := range 12 {
		g.Expect(prod.Client.Delete(ctx, configMap(ns, fmt.Sprintf("sel-%02d", i)))).To(Succeed())
	}
	waitMapping(g, "guard-den", func(m *drv1.NamespaceMapping) bool {
		return meta.IsStatusConditionTrue(m.Status.Conditions, drv1.ConditionPruneBlocked)
	})
	g.Consistently(countCopies(g, ns, "guard-den")).WithTimeout(3 * time.Second).Should(Equal(12))
}

// TestPruneNeverTakesAnOperatorsObject (finding 7): a DR ConfigMap that carries the mapping's
// label (an operator copied it) but no source annotation and a controller ownerReference is not
// the mapping's: prune, Adopt and mapping deletion leave it alone.
func TestPruneNeverTakesAnOperatorsObject(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, g, "operator")
	create(g, prod, configMap(ns, "cfg"), configMap(ns, "made-by-operator"))
	create(g, prod, mapping("operator", ns, ns, func(m *drv1.NamespaceMapping) {
		m.Spec.ConflictPolicy = drv1.ConflictAdopt
		m.Spec.DeletionPolicy = drv1.DeletionDelete
	}))
	// In DR an operator made "made-by-operator" and "only-in-dr", copying the mapping label.
	create(g, dr, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
	owner := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "owner", Namespace: ns}}
	create(g, dr, owner)
	for _, name := range []string{"made-by-operator", "only-in-dr"} {
		cm := configMap(ns, name, drv1.LabelMapping, controllerNS+".operator")
		cm.Data = map[string]string{"key": "operator's"}
		cm.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: "owner", UID: owner.UID, Controller: ptr.To(true)}}
		create(g, dr, cm)
	}
	m := triggerSync(t, g, "operator")
	f := failure(m, "ConfigMap", "made-by-operator")
	g.Expect(f).NotTo(BeNil(), failedNames(m))
	g.Expect(f.Message).To(ContainSubstring("controlled by ConfigMap owner"))
	for _, name := range []string{"made-by-operator", "only-in-dr"} {
		cm := get(g, dr, gvkConfigMap, ns, name)
		g.Expect(nested(g, cm, "data", "key")).To(Equal("operator's"), name)
	}
	deleteMapping(g, "operator")
	get(g, dr, gvkConfigMap, ns, "made-by-operator")
	get(g, dr, gvkConfigMap, ns, "only-in-dr")
	g.Expect(absent(dr, gvkConfigMap, ns, "cfg")).To(BeTrue(), "the mapping's own copy was not cleaned up")
}

// TestTwoAdoptingMappingsDoNotFight (finding 8): two Continuous mappings with Adopt into one DR
// namespace never take each other's objects: the second reports a Conflict naming the owner,
// and the shared object is written once, not in a loop.
func TestTwoAdoptingMappingsDoNotFight(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	a := newNamespace(t, g, "fight-a")
	b := newNamespace(t, g, "fight-b")
	shared := fmt.Sprintf("fight-dr-%d", nsCounter.Add(1))
	create(g, prod, configMap(a, "shared"), configMap(b, "shared"))
	adopt := func(m *drv1.NamespaceMapping) { m.Spec.ConflictPolicy = drv1.ConflictAdopt }
	create(g, prod, mapping("fight-a", a, shared, continuousMapping, adopt))
	waitMapping(g, "fight-a", func(m *drv1.NamespaceMapping) bool { return m.Status.Phase == drv1.PhaseSynced })
	create(g, prod, mapping("fight-b", b, shared, continuousMapping, adopt))
	m := waitMapping(g, "fight-b", func(m *drv1.NamespaceMapping) bool { return failure(m, "ConfigMap", "shared") != nil })
	g.Expect(failure(m, "ConfigMap", "shared").Message).To(ContainSubstring(`belongs to mapping "` + controllerNS + `.fight-a"`))

	cm := &corev1.ConfigMap{}
	g.Expect(dr.Client.Get(ctx, client.ObjectKey{Namespace: shared, Name: "shared"}, cm)).To(Succeed())
	rv := cm.ResourceVersion
	g.Expect(cm.Labels[drv1.LabelMapping]).To(Equal(controllerNS + ".fight-a"))
	g.Consistently(func(g Gomega) string {
		g.Expect(dr.Client.Get(ctx, client.ObjectKey{Namespace: shared, Name: "shared"}, cm)).To(Succeed())
		return cm.ResourceVersion
	}).WithTimeout(5 * time.Second).WithPolling(200 * time.Millisecond).Should(Equal(rv))
}

// TestContinuousStopsWhenRemoteClusterDeleted (finding 9): once the destination RemoteCluster
// is deleted, the Continuous watcher writes nothing more into that cluster.
func TestContinuousStopsWhenRemoteClusterDeleted(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	g.Expect(harness.RegisterRemoteCluster(ctx, prod.Client, controllerNS, "dr-gone", drTB)).To(Succeed())
	g.Expect(harness.WaitReady(ctx, prod.Client, controllerNS, "dr-gone", timeout)).To(Succeed())
	ns := newNamespace(t, g, "rc-gone")
	create(g, prod, configMap(ns, "cfg"))
	create(g, prod, mapping("rc-gone", ns, ns, continuousMapping, func(m *drv1.NamespaceMapping) {
		m.Spec.DestinationCluster = "dr-gone"
		m.Spec.DeletionPolicy = drv1.DeletionDelete
	}))
	g.Eventually(configMapData(dr.Client, ns, "cfg")).WithTimeout(timeout).Should(Equal("value-cfg"))

	g.Expect(prod.Client.Delete(ctx, &drv1.RemoteCluster{ObjectMeta: metav1.ObjectMeta{Namespace: controllerNS, Name: "dr-gone"}})).To(Succeed())
	waitMapping(g, "rc-gone", func(m *drv1.NamespaceMapping) bool {
		c := condition(m, drv1.ConditionReady)
		return c != nil && c.Reason == drv1.ReasonClusterNotReady
	})
	src := &corev1.ConfigMap{}
	g.Expect(prod.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "cfg"}, src)).To(Succeed())
	src.Data["key"] = "after-delete"
	g.Expect(prod.Client.Update(ctx, src)).To(Succeed())
	create(g, prod, configMap(ns, "new-after-delete"))
	g.Consistently(func(g Gomega) {
		g.Expect(configMapData(dr.Client, ns, "cfg")()).To(Equal("value-cfg"))
		g.Expect(absent(dr, gvkConfigMap, ns, "new-after-delete")).To(BeTrue())
	}).WithTimeout(4 * time.Second).WithPolling(200 * time.Millisecond).Should(Succeed())

	// Its deletion (deletionPolicy: Delete) does not hang: the copies cannot be reached and stay.
	deleteMapping(g, "rc-gone")
	g.Expect(mappingEvents(g, "rc-gone", "CleanupSkipped")).NotTo(BeEmpty())
	get(g, dr, gvkConfigMap, ns, "cfg")
}

// TestUnreachableDestinationDeletionEscapeHatch: a mapping with deletionPolicy: Delete whose
// destination cannot be reached waits in deletion, saying how to let it go; setting
// deletionPolicy: Retain lets it go at once.
func TestUnreachableDestinationDeletionEscapeHatch(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	dead := &testbed.Cluster{Kubeconfig: []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: false}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`)}
	g.Expect(harness.RegisterRemoteCluster(ctx, prod.Client, controllerNS, "dr-dead", dead)).To(Succeed())
	ns := newNamespace(t, g, "dead")
	create(g, prod, mapping("dead", ns, ns, func(m *drv1.NamespaceMapping) {
		m.Spec.DestinationCluster = "dr-dead"
		m.Spec.DeletionPolicy = drv1.DeletionDelete
	}))
	waitMapping(g, "dead", func(m *drv1.NamespaceMapping) bool { return len(m.Finalizers) > 0 })
	g.Expect(prod.Client.Delete(ctx, &drv1.NamespaceMapping{ObjectMeta: metav1.ObjectMeta{Namespace: controllerNS, Name: "dead"}})).To(Succeed())
	m := waitMapping(g, "dead", func(m *drv1.NamespaceMapping) bool {
		c := condition(m, drv1.ConditionReady)
		return !m.DeletionTimestamp.IsZero() && c != nil && c.Reason == drv1.ReasonClusterNotReady &&
			strings.Contains(c.Message, "cannot delete the destination copies yet")
	})
	g.Expect(condition(m, drv1.ConditionReady).Message).To(ContainSubstring("set spec.deletionPolicy: Retain"))
	updateMapping(g, "dead", func(m *drv1.NamespaceMapping) { m.Spec.DeletionPolicy = drv1.DeletionRetain })
	deleteMapping(g, "dead")
}

// TestSourceNamespaceDrSyncerKeysAreNotCopied (finding 10): a former DR namespace that became
// production carries live-since; replicating it on to another DR cluster copies no dr-syncer.io/
// key to the new DR namespace, so its second sync is not refused as DestinationLive.
func TestSourceNamespaceDrSyncerKeysAreNotCopied(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, g, "former-dr")
	markLive(g, prod, ns)
	create(g, prod, configMap(ns, "cfg"))
	create(g, prod, mapping("former-dr", ns, ns))
	for range 2 {
		m := triggerSync(t, g, "former-dr")
		g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced), "%s: %+v", failedNames(m), m.Status.Conditions)
	}
	drNS := get(g, dr, gvkNamespace, "", ns)
	g.Expect(drNS.GetAnnotations()).NotTo(HaveKey(drv1.AnnotationLiveSince))
	g.Expect(drNS.GetAnnotations()).To(HaveKeyWithValue("owner", "alice")) // other keys still copied
}
