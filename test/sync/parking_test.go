package sync_test

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/cluster"
	"github.com/dr-syncer/dr-syncer/internal/engine"
	"github.com/dr-syncer/dr-syncer/internal/ops"
	"github.com/dr-syncer/dr-syncer/internal/transform"
)

var (
	gvkReplicaSet = schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "ReplicaSet"}
	gvkRC         = schema.GroupVersionKind{Version: "v1", Kind: "ReplicationController"}
)

// opsScope is the cutover/failback scope of one NamespaceMapping of these tests (Manual mode,
// so nothing syncs behind the test's back; no final sync needed).
func opsScope(ns, dest, mappingName string) *ops.Scope {
	return &ops.Scope{Source: prod, Dest: dr, SourceNamespace: ns, DestNamespace: dest,
		MappingIDs: []string{engine.MappingID(controllerNS, mappingName)}}
}

func cutover(g Gomega, s *ops.Scope) *ops.Report {
	rep, err := ops.Cutover(context.Background(), s, ops.Options{NoSync: true, SourceTimeout: 5 * time.Second})
	g.Expect(err).NotTo(HaveOccurred())
	return rep
}

func failback(g Gomega, s *ops.Scope) *ops.Report {
	rep, err := ops.Failback(context.Background(), s, ops.Options{SourceTimeout: 5 * time.Second})
	g.Expect(err).NotTo(HaveOccurred())
	return rep
}

// expectReplicas checks spec.replicas of one object and its recorded original ("" for none).
func expectReplicas(g Gomega, h *cluster.Handle, gvk schema.GroupVersionKind, ns, name string, replicas int64, recorded string) {
	u := get(g, h, gvk, ns, name)
	g.Expect(nested(g, u, "spec", "replicas")).To(BeEquivalentTo(replicas), "%s %s/%s in %s", gvk.Kind, ns, name, h.Name)
	if recorded == "" {
		g.Expect(u.GetAnnotations()).NotTo(HaveKey(drv1.AnnotationOriginalReplicas), "%s %s/%s in %s", gvk.Kind, ns, name, h.Name)
	} else {
		g.Expect(u.GetAnnotations()).To(HaveKeyWithValue(drv1.AnnotationOriginalReplicas, recorded), "%s %s/%s in %s", gvk.Kind, ns, name, h.Name)
	}
}

// TestReplicationControllersAndReplicaSetsAreParked: a ReplicationController is parked like a
// Deployment; a ReplicaSet only when resourceTypes names it (the wildcard leaves it out).
// Cutover activates both and parks the source; failback parks DR and restores the source.
func TestReplicationControllersAndReplicaSetsAreParked(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, g, "legacy")
	create(g, prod,
		&corev1.ReplicationController{ObjectMeta: objMeta(ns, "legacy"), Spec: corev1.ReplicationControllerSpec{
			Replicas: ptr.To[int32](3), Selector: map[string]string{"app": "legacy"}, Template: ptr.To(podTemplate("legacy")),
		}},
		&appsv1.ReplicaSet{ObjectMeta: objMeta(ns, "bare"), Spec: appsv1.ReplicaSetSpec{
			Replicas: ptr.To[int32](2), Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "bare"}}, Template: podTemplate("bare"),
		}},
	)

	create(g, prod, mapping("legacy-wild", ns, ns+"-wild"))
	m := triggerSync(t, g, "legacy-wild")
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced), failedNames(m))
	expectReplicas(g, dr, gvkRC, ns+"-wild", "legacy", 0, "3")
	g.Expect(absent(dr, gvkReplicaSet, ns+"-wild", "bare")).To(BeTrue(), "a wildcard never selects ReplicaSets")

	dest := ns + "-dr"
	create(g, prod, mapping("legacy-rs", ns, dest, func(m *drv1.NamespaceMapping) {
		m.Spec.ResourceTypes = []string{"*", "replicasets"}
	}))
	m = triggerSync(t, g, "legacy-rs")
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced), failedNames(m))
	expectReplicas(g, dr, gvkRC, dest, "legacy", 0, "3")
	expectReplicas(g, dr, gvkReplicaSet, dest, "bare", 0, "2")

	s := opsScope(ns, dest, "legacy-rs")
	cutover(g, s)
	expectReplicas(g, dr, gvkRC, dest, "legacy", 3, "3")
	expectReplicas(g, dr, gvkReplicaSet, dest, "bare", 2, "2")
	expectReplicas(g, prod, gvkRC, ns, "legacy", 0, "3")
	expectReplicas(g, prod, gvkReplicaSet, ns, "bare", 0, "2")

	failback(g, s)
	expectReplicas(g, dr, gvkRC, dest, "legacy", 0, "3")
	expectReplicas(g, dr, gvkReplicaSet, dest, "bare", 0, "2")
	expectReplicas(g, prod, gvkRC, ns, "legacy", 3, "")
	expectReplicas(g, prod, gvkReplicaSet, ns, "bare", 2, "")
}

// scalableCRD is a namespaced CRD pools.example.com whose scale subresource counts
// .spec.workers.count.
func scalableCRD() *apiextensionsv1.CustomResourceDefinition {
	crd := namespacedCRD("Pool", "pools")
	v := &crd.Spec.Versions[0]
	integer := apiextensionsv1.JSONSchemaProps{Type: "integer"}
	v.Schema.OpenAPIV3Schema = &apiextensionsv1.JSONSchemaProps{Type: "object", Properties: map[string]apiextensionsv1.JSONSchemaProps{
		"spec": {Type: "object", XPreserveUnknownFields: ptr.To(true), Properties: map[string]apiextensionsv1.JSONSchemaProps{
			"workers": {Type: "object", Properties: map[string]apiextensionsv1.JSONSchemaProps{"count": integer}},
		}},
		"status": {Type: "object", Properties: map[string]apiextensionsv1.JSONSchemaProps{"replicas": integer}},
	}}
	v.Subresources = &apiextensionsv1.CustomResourceSubresources{Scale: &apiextensionsv1.CustomResourceSubresourceScale{
		SpecReplicasPath: ".spec.workers.count", StatusReplicasPath: ".status.replicas",
	}}
	return crd
}

// TestScaleSubresourceIsParked: a custom resource whose CRD declares a scale subresource is
// parked at 0 through its specReplicasPath, which the copy records; cutover and failback bring
// it up and park it from the object alone.
func TestScaleSubresourceIsParked(t *testing.T) {
	g := NewWithT(t)
	installCRD(t, g, prod, scalableCRD())
	t.Cleanup(func() { removeCRD(t, dr, "pools.example.com") })
	gvk := schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Pool"}
	ns := newNamespace(t, g, "pools")
	p := widget(gvk, ns, "workers")
	p.Object["spec"] = map[string]any{"workers": map[string]any{"count": int64(4)}}
	create(g, prod, p)

	create(g, prod, mapping("pools", ns, ns, func(m *drv1.NamespaceMapping) {
		m.Spec.ResourceTypes = []string{"pools.example.com"}
		m.Spec.SyncCRDs = true
	}))
	t.Cleanup(func() { deleteMapping(NewWithT(t), "pools") })
	m := triggerSync(t, g, "pools")
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced), failedNames(m))
	dr.Invalidate()
	count := func(h *cluster.Handle) any {
		return nested(g, get(g, h, gvk, ns, "workers"), "spec", "workers", "count")
	}
	records := func(h *cluster.Handle) map[string]string { return get(g, h, gvk, ns, "workers").GetAnnotations() }
	g.Expect(count(dr)).To(BeEquivalentTo(0))
	g.Expect(records(dr)).To(HaveKeyWithValue(drv1.AnnotationOriginalReplicas, "4"))
	g.Expect(records(dr)).To(HaveKeyWithValue(drv1.AnnotationOriginalReplicasPath, ".spec.workers.count"))

	s := opsScope(ns, ns, "pools")
	cutover(g, s)
	g.Expect(count(dr)).To(BeEquivalentTo(4))
	g.Expect(count(prod)).To(BeEquivalentTo(0))
	g.Expect(records(prod)).To(HaveKeyWithValue(drv1.AnnotationOriginalReplicas, "4"))
	g.Expect(records(prod)).To(HaveKeyWithValue(drv1.AnnotationOriginalReplicasPath, ".spec.workers.count"))

	failback(g, s)
	g.Expect(count(dr)).To(BeEquivalentTo(0))
	g.Expect(count(prod)).To(BeEquivalentTo(4))
	g.Expect(records(prod)).NotTo(HaveKey(drv1.AnnotationOriginalReplicas))
	g.Expect(records(prod)).NotTo(HaveKey(drv1.AnnotationOriginalReplicasPath))

	// Scaled in DR while live, then failback --reverse-sync: the source comes back at DR's count.
	cutover(g, s)
	live := get(g, dr, gvk, ns, "workers")
	g.Expect(unstructured.SetNestedField(live.Object, int64(6), "spec", "workers", "count")).To(Succeed())
	g.Expect(dr.Client.Update(context.Background(), live)).To(Succeed())
	s.Sync = engine.Request{ResourceTypes: []string{"pools.example.com"},
		Transform: transform.Options{MappingID: engine.MappingID(controllerNS, "pools")}}
	_, err := ops.Failback(context.Background(), s, ops.Options{ReverseSync: true, SourceTimeout: 5 * time.Second})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(count(prod)).To(BeEquivalentTo(6))
	g.Expect(records(prod)).NotTo(HaveKey(drv1.AnnotationOriginalReplicas))
	g.Expect(records(prod)).NotTo(HaveKey(drv1.AnnotationOriginalReplicasPath))
	g.Expect(count(dr)).To(BeEquivalentTo(0))
	g.Expect(records(dr)).To(HaveKeyWithValue(drv1.AnnotationOriginalReplicas, "6"))
}

// TestCutoverResumesUnfinishedJobs: Jobs are suspended in DR; cutover resumes the ones that had
// not finished at the source when last synced, never one that had completed.
func TestCutoverResumesUnfinishedJobs(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, g, "jobs")
	done, pending := job(ns, "done"), job(ns, "pending")
	create(g, prod, done, pending)
	now := metav1.Now()
	done.Status = batchv1.JobStatus{StartTime: &now, CompletionTime: &now, Succeeded: 1, Conditions: []batchv1.JobCondition{
		{Type: batchv1.JobSuccessCriteriaMet, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: batchv1.JobComplete, Status: corev1.ConditionTrue, LastTransitionTime: now},
	}}
	g.Expect(prod.Client.Status().Update(ctx, done)).To(Succeed())

	create(g, prod, mapping("jobs", ns, ns, func(m *drv1.NamespaceMapping) { m.Spec.ResourceTypes = []string{"jobs"} }))
	m := triggerSync(t, g, "jobs")
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced), failedNames(m))
	suspended := func(h *cluster.Handle, name string) any {
		return nested(g, get(g, h, gvkJob, ns, name), "spec", "suspend")
	}
	g.Expect(suspended(dr, "done")).To(Equal(true))
	g.Expect(suspended(dr, "pending")).To(Equal(true))
	g.Expect(get(g, dr, gvkJob, ns, "done").GetAnnotations()).To(HaveKeyWithValue(drv1.AnnotationSourceFinished, "Complete"))
	g.Expect(get(g, dr, gvkJob, ns, "pending").GetAnnotations()).NotTo(HaveKey(drv1.AnnotationSourceFinished))

	s := opsScope(ns, ns, "jobs")
	cutover(g, s)
	g.Expect(suspended(dr, "pending")).To(Equal(false), "a Job that had not finished runs in DR")
	g.Expect(suspended(dr, "done")).To(Equal(true), "a Job complete at the source never runs again")
	g.Expect(suspended(prod, "pending")).To(Equal(true), "the source Job is parked")
	g.Expect(get(g, prod, gvkJob, ns, "pending").GetAnnotations()).To(HaveKeyWithValue(drv1.AnnotationOriginalSuspend, "false"))
	g.Expect(suspended(prod, "done")).NotTo(Equal(true), "a finished source Job is left alone")

	failback(g, s)
	g.Expect(suspended(dr, "pending")).To(Equal(true))
	g.Expect(suspended(prod, "pending")).To(Equal(false))
	g.Expect(get(g, prod, gvkJob, ns, "pending").GetAnnotations()).NotTo(HaveKey(drv1.AnnotationOriginalSuspend))
}

// crdOf is a schemaless namespaced CRD of any group, served and stored in version.
func crdOf(group, version, kind, plural string) *apiextensionsv1.CustomResourceDefinition {
	crd := namespacedCRD(kind, plural)
	crd.Name = plural + "." + group
	crd.Spec.Group = group
	crd.Spec.Versions[0].Name = version
	return crd
}

// TestFluxAndKEDAAreParked: Flux Kustomizations and HelmReleases are suspended in DR, KEDA
// ScaledObjects and ScaledJobs paused, each with its original on record; cutover restores them
// and parks the source, failback the reverse.
func TestFluxAndKEDAAreParked(t *testing.T) {
	g := NewWithT(t)
	kinds := []struct {
		crd  *apiextensionsv1.CustomResourceDefinition
		name string
		meta map[string]any
		spec map[string]any
	}{
		{crdOf("kustomize.toolkit.fluxcd.io", "v1", "Kustomization", "kustomizations"), "apps", nil, map[string]any{"interval": "10m"}},
		{crdOf("helm.toolkit.fluxcd.io", "v2", "HelmRelease", "helmreleases"), "redis", nil, map[string]any{"suspend": false}},
		{crdOf("keda.sh", "v1alpha1", "ScaledObject", "scaledobjects"), "web", nil, map[string]any{"minReplicaCount": int64(1)}},
		{crdOf("keda.sh", "v1alpha1", "ScaledJob", "scaledjobs"), "batch", map[string]any{"autoscaling.keda.sh/paused": "false"}, map[string]any{}},
	}
	ns := newNamespace(t, g, "gitops")
	types := []string{}
	gvks := make([]schema.GroupVersionKind, len(kinds))
	for i, k := range kinds {
		installCRD(t, g, prod, k.crd)
		t.Cleanup(func() { removeCRD(t, dr, k.crd.Name) })
		gvks[i] = schema.GroupVersionKind{Group: k.crd.Spec.Group, Version: k.crd.Spec.Versions[0].Name, Kind: k.crd.Spec.Names.Kind}
		o := widget(gvks[i], ns, k.name)
		o.Object["spec"] = k.spec
		if k.meta != nil {
			o.Object["metadata"].(map[string]any)["annotations"] = k.meta
		}
		create(g, prod, o)
		types = append(types, k.crd.Name)
	}
	create(g, prod, mapping("gitops", ns, ns, func(m *drv1.NamespaceMapping) {
		m.Spec.ResourceTypes = types
		m.Spec.SyncCRDs = true
	}))
	t.Cleanup(func() { deleteMapping(NewWithT(t), "gitops") })
	m := triggerSync(t, g, "gitops")
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced), failedNames(m))
	dr.Invalidate()

	suspend := func(h *cluster.Handle, i int) any {
		return nested(g, get(g, h, gvks[i], ns, kinds[i].name), "spec", "suspend")
	}
	annotations := func(h *cluster.Handle, i int) map[string]string {
		return get(g, h, gvks[i], ns, kinds[i].name).GetAnnotations()
	}
	const paused = "autoscaling.keda.sh/paused"
	for i := range 2 {
		g.Expect(suspend(dr, i)).To(Equal(true))
		g.Expect(annotations(dr, i)).To(HaveKeyWithValue(drv1.AnnotationOriginalSuspend, "false"))
	}
	g.Expect(annotations(dr, 2)).To(HaveKeyWithValue(paused, "true"))
	g.Expect(annotations(dr, 2)).To(HaveKeyWithValue(drv1.AnnotationOriginalPaused, ""))
	g.Expect(annotations(dr, 3)).To(HaveKeyWithValue(paused, "true"))
	g.Expect(annotations(dr, 3)).To(HaveKeyWithValue(drv1.AnnotationOriginalPaused, "false"))

	s := opsScope(ns, ns, "gitops")
	cutover(g, s)
	for i := range 2 {
		g.Expect(suspend(dr, i)).To(Equal(false))
		g.Expect(suspend(prod, i)).To(Equal(true))
	}
	g.Expect(annotations(dr, 2)).NotTo(HaveKey(paused))
	g.Expect(annotations(dr, 3)).To(HaveKeyWithValue(paused, "false"))
	g.Expect(annotations(prod, 2)).To(HaveKeyWithValue(paused, "true"))
	g.Expect(annotations(prod, 3)).To(HaveKeyWithValue(paused, "true"))

	failback(g, s)
	for i := range 2 {
		g.Expect(suspend(dr, i)).To(Equal(true))
		g.Expect(suspend(prod, i)).To(Equal(false))
		g.Expect(annotations(prod, i)).NotTo(HaveKey(drv1.AnnotationOriginalSuspend))
	}
	g.Expect(annotations(dr, 2)).To(HaveKeyWithValue(paused, "true"))
	g.Expect(annotations(prod, 2)).NotTo(HaveKey(paused))
	g.Expect(annotations(prod, 3)).To(HaveKeyWithValue(paused, "false"))
	g.Expect(annotations(prod, 3)).NotTo(HaveKey(drv1.AnnotationOriginalPaused))

	// Cutover, then failback --reverse-sync: DR's objects come home as they ran, then run.
	cutover(g, s)
	s.Sync = engine.Request{ResourceTypes: types, Transform: transform.Options{MappingID: engine.MappingID(controllerNS, "gitops")}}
	_, err := ops.Failback(context.Background(), s, ops.Options{ReverseSync: true, SourceTimeout: 5 * time.Second})
	g.Expect(err).NotTo(HaveOccurred())
	for i := range 2 {
		g.Expect(suspend(prod, i)).To(Equal(false))
		g.Expect(suspend(dr, i)).To(Equal(true))
	}
	g.Expect(annotations(prod, 2)).NotTo(HaveKey(paused))
	g.Expect(annotations(prod, 2)).NotTo(HaveKey(drv1.AnnotationOriginalPaused))
	g.Expect(annotations(prod, 3)).To(HaveKeyWithValue(paused, "false"))
	g.Expect(annotations(dr, 2)).To(HaveKeyWithValue(paused, "true"))
}

// TestKubeVirtAndCNPGAreParked: a KubeVirt VirtualMachine is Halted in DR whether it ran by
// spec.runStrategy or spec.running, and cutover restores exactly the field it used; a
// CloudNativePG Cluster is hibernated. Failback parks DR and restores the source the same way.
func TestKubeVirtAndCNPGAreParked(t *testing.T) {
	g := NewWithT(t)
	vmCRD := crdOf("kubevirt.io", "v1", "VirtualMachine", "virtualmachines")
	pgCRD := crdOf("postgresql.cnpg.io", "v1", "Cluster", "clusters")
	for _, crd := range []*apiextensionsv1.CustomResourceDefinition{vmCRD, pgCRD} {
		installCRD(t, g, prod, crd)
		t.Cleanup(func() { removeCRD(t, dr, crd.Name) })
	}
	gvkVM := schema.GroupVersionKind{Group: "kubevirt.io", Version: "v1", Kind: "VirtualMachine"}
	gvkPG := schema.GroupVersionKind{Group: "postgresql.cnpg.io", Version: "v1", Kind: "Cluster"}
	ns := newNamespace(t, g, "virt")
	byStrategy, byRunning, pg := widget(gvkVM, ns, "by-strategy"), widget(gvkVM, ns, "by-running"), widget(gvkPG, ns, "pg")
	byStrategy.Object["spec"] = map[string]any{"runStrategy": "RerunOnFailure"}
	byRunning.Object["spec"] = map[string]any{"running": true}
	pg.Object["spec"] = map[string]any{"instances": int64(3)}
	create(g, prod, byStrategy, byRunning, pg)

	create(g, prod, mapping("virt", ns, ns, func(m *drv1.NamespaceMapping) {
		m.Spec.ResourceTypes = []string{vmCRD.Name, pgCRD.Name}
		m.Spec.SyncCRDs = true
	}))
	t.Cleanup(func() { deleteMapping(NewWithT(t), "virt") })
	m := triggerSync(t, g, "virt")
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced), failedNames(m))
	dr.Invalidate()

	spec := func(h *cluster.Handle, name string) any { return nested(g, get(g, h, gvkVM, ns, name), "spec") }
	annotations := func(h *cluster.Handle, gvk schema.GroupVersionKind, name string) map[string]string {
		return get(g, h, gvk, ns, name).GetAnnotations()
	}
	halted := map[string]any{"runStrategy": "Halted"}
	g.Expect(spec(dr, "by-strategy")).To(Equal(halted))
	g.Expect(spec(dr, "by-running")).To(Equal(halted))
	g.Expect(annotations(dr, gvkVM, "by-strategy")).To(HaveKeyWithValue(drv1.AnnotationOriginalRunStrategy, "runStrategy=RerunOnFailure"))
	g.Expect(annotations(dr, gvkVM, "by-running")).To(HaveKeyWithValue(drv1.AnnotationOriginalRunStrategy, "running=true"))
	g.Expect(annotations(dr, gvkPG, "pg")).To(HaveKeyWithValue(transform.CNPGHibernationAnnotation, "on"))
	g.Expect(annotations(dr, gvkPG, "pg")).To(HaveKeyWithValue(drv1.AnnotationOriginalHibernation, ""))

	s := opsScope(ns, ns, "virt")
	cutover(g, s)
	g.Expect(spec(dr, "by-strategy")).To(Equal(map[string]any{"runStrategy": "RerunOnFailure"}))
	g.Expect(spec(dr, "by-running")).To(Equal(map[string]any{"running": true}))
	g.Expect(annotations(dr, gvkPG, "pg")).NotTo(HaveKey(transform.CNPGHibernationAnnotation))
	g.Expect(spec(prod, "by-strategy")).To(Equal(halted))
	g.Expect(spec(prod, "by-running")).To(Equal(halted))
	g.Expect(annotations(prod, gvkPG, "pg")).To(HaveKeyWithValue(transform.CNPGHibernationAnnotation, "on"))

	failback(g, s)
	g.Expect(spec(dr, "by-strategy")).To(Equal(halted))
	g.Expect(spec(dr, "by-running")).To(Equal(halted))
	g.Expect(annotations(dr, gvkPG, "pg")).To(HaveKeyWithValue(transform.CNPGHibernationAnnotation, "on"))
	g.Expect(spec(prod, "by-strategy")).To(Equal(map[string]any{"runStrategy": "RerunOnFailure"}))
	g.Expect(spec(prod, "by-running")).To(Equal(map[string]any{"running": true}))
	g.Expect(annotations(prod, gvkVM, "by-running")).NotTo(HaveKey(drv1.AnnotationOriginalRunStrategy))
	g.Expect(annotations(prod, gvkPG, "pg")).NotTo(HaveKey(transform.CNPGHibernationAnnotation))
	g.Expect(annotations(prod, gvkPG, "pg")).NotTo(HaveKey(drv1.AnnotationOriginalHibernation))
}
