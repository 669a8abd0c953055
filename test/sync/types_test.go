package sync_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/cluster"
	"github.com/dr-syncer/dr-syncer/internal/engine"
)

var (
	gvkJob = schema.GroupVersionKind{Group: "batch", Version: "v1", Kind: "Job"}
	gvkCRD = apiextensionsv1.SchemeGroupVersion.WithKind("CustomResourceDefinition")
)

func job(ns, name string) *batchv1.Job {
	tmpl := podTemplate(name)
	tmpl.Spec.RestartPolicy = corev1.RestartPolicyNever
	return &batchv1.Job{ObjectMeta: objMeta(ns, name), Spec: batchv1.JobSpec{Template: tmpl}}
}

// TestResourceTypeForms: a resourceTypes entry may be a Kind, a plural, a group-qualified plural,
// in any case; only the named types are copied.
func TestResourceTypeForms(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, g, "forms")
	create(g, prod, configMap(ns, "cm"), deployment(ns, "web", 2),
		&corev1.Secret{ObjectMeta: objMeta(ns, "sec"), StringData: map[string]string{"k": "v"}})
	for i, c := range []struct {
		entry     string
		copied    schema.GroupVersionKind
		notCopied schema.GroupVersionKind
		name      string
	}{
		{"ConfigMap", gvkConfigMap, gvkDeployment, "cm"},
		{"deployments", gvkDeployment, gvkConfigMap, "web"},
		{"deployments.apps", gvkDeployment, gvkConfigMap, "web"},
		{"ConfigMaps", gvkConfigMap, gvkDeployment, "cm"},
	} {
		t.Run(c.entry, func(t *testing.T) {
			g := NewWithT(t)
			dest, name := fmt.Sprintf("%s-f%d", ns, i), fmt.Sprintf("forms-%d", i)
			create(g, prod, mapping(name, ns, dest, func(m *drv1.NamespaceMapping) { m.Spec.ResourceTypes = []string{c.entry} }))
			m := triggerSync(t, g, name)
			g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced), failedNames(m))
			g.Expect(m.Status.LastSyncStats.Total).To(BeEquivalentTo(1))
			g.Expect(m.Status.UnresolvedResourceTypes).To(BeEmpty())
			get(g, dr, c.copied, dest, c.name)
			g.Expect(absent(dr, c.notCopied, dest, map[string]string{"ConfigMap": "cm", "Deployment": "web"}[c.notCopied.Kind])).To(BeTrue())
			g.Expect(absent(dr, gvkSecret, dest, "sec")).To(BeTrue())
		})
	}
}

// TestWildcardAndExclude: "*" copies the ordinary types but never Jobs unless they are named;
// excludeResourceTypes subtracts.
func TestWildcardAndExclude(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, g, "wild")
	create(g, prod, configMap(ns, "cm"), deployment(ns, "web", 1), job(ns, "migrate"),
		&corev1.Secret{ObjectMeta: objMeta(ns, "sec"), StringData: map[string]string{"k": "v"}},
		&corev1.Service{ObjectMeta: objMeta(ns, "svc"), Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80}}}},
	)

	create(g, prod, mapping("wild-default", ns, ns+"-all"))
	m := triggerSync(t, g, "wild-default")
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced), failedNames(m))
	for _, o := range []struct {
		gvk  schema.GroupVersionKind
		name string
	}{{gvkConfigMap, "cm"}, {gvkSecret, "sec"}, {gvkService, "svc"}, {gvkDeployment, "web"}} {
		get(g, dr, o.gvk, ns+"-all", o.name)
	}
	g.Expect(absent(dr, gvkJob, ns+"-all", "migrate")).To(BeTrue(), "a wildcard never selects Jobs")

	create(g, prod, mapping("wild-jobs", ns, ns+"-jobs", func(m *drv1.NamespaceMapping) { m.Spec.ResourceTypes = []string{"*", "jobs"} }))
	m = triggerSync(t, g, "wild-jobs")
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced), failedNames(m))
	j := get(g, dr, gvkJob, ns+"-jobs", "migrate")
	g.Expect(j.GetLabels()).To(HaveKeyWithValue(drv1.LabelMapping, engine.MappingID(controllerNS, "wild-jobs")))
	g.Expect(nested(g, j, "spec", "suspend")).To(Equal(true), "a Job in DR must not run before cutover")
	g.Expect(j.GetAnnotations()).To(HaveKeyWithValue(drv1.AnnotationOriginalSuspend, "false"))
	get(g, dr, gvkConfigMap, ns+"-jobs", "cm")

	create(g, prod, mapping("wild-exclude", ns, ns+"-ex", func(m *drv1.NamespaceMapping) {
		m.Spec.ExcludeResourceTypes = []string{"Secret", "deployments.apps"}
	}))
	m = triggerSync(t, g, "wild-exclude")
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced), failedNames(m))
	get(g, dr, gvkConfigMap, ns+"-ex", "cm")
	get(g, dr, gvkService, ns+"-ex", "svc")
	g.Expect(absent(dr, gvkSecret, ns+"-ex", "sec")).To(BeTrue())
	g.Expect(absent(dr, gvkDeployment, ns+"-ex", "web")).To(BeTrue())
}

// TestUnresolvedResourceType: an entry no served type matches is reported, and the sync of the
// other entries still succeeds.
func TestUnresolvedResourceType(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, g, "unresolved")
	create(g, prod, configMap(ns, "cm"))
	create(g, prod, mapping("unresolved", ns, ns, func(m *drv1.NamespaceMapping) {
		m.Spec.ResourceTypes = []string{"configmaps", "widgets.nowhere.io"}
	}))
	m := triggerSync(t, g, "unresolved")
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced), failedNames(m))
	ready := condition(m, drv1.ConditionReady)
	g.Expect(ready.Status).To(Equal(metav1.ConditionTrue))
	g.Expect(ready.Message).To(ContainSubstring("widgets.nowhere.io"))
	g.Expect(m.Status.UnresolvedResourceTypes).To(Equal([]string{"widgets.nowhere.io"}))
	get(g, dr, gvkConfigMap, ns, "cm")
}

// namespacedCRD is a schemaless namespaced v1 CRD <plural>.example.com.
func namespacedCRD(kind, plural string) *apiextensionsv1.CustomResourceDefinition {
	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: plural + ".example.com"},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: "example.com", Scope: apiextensionsv1.NamespaceScoped,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Kind: kind, ListKind: kind + "List", Plural: plural, Singular: strings.ToLower(kind)},
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
				Name: "v1", Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type: "object", XPreserveUnknownFields: func() *bool { b := true; return &b }(),
				}},
			}},
		},
	}
}

// installCRD creates a CRD in one cluster, waits until it is served, and removes it (and waits
// until it is gone) when the test ends, so the wildcard syncs of other tests never see it.
func installCRD(t *testing.T, g Gomega, h *cluster.Handle, crd *apiextensionsv1.CustomResourceDefinition) {
	t.Helper()
	ctx := context.Background()
	create(g, h, crd)
	t.Cleanup(func() { removeCRD(t, h, crd.Name) })
	g.Eventually(func(g Gomega) {
		c := &apiextensionsv1.CustomResourceDefinition{}
		g.Expect(h.Client.Get(ctx, client.ObjectKey{Name: crd.Name}, c)).To(Succeed())
		established := false
		for _, cond := range c.Status.Conditions {
			established = established || (cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue)
		}
		g.Expect(established).To(BeTrue())
	}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
	h.Invalidate() // the test's own client must see the new kind
}

func removeCRD(t *testing.T, h *cluster.Handle, name string) {
	g := NewWithT(t)
	c := &apiextensionsv1.CustomResourceDefinition{ObjectMeta: metav1.ObjectMeta{Name: name}}
	g.Expect(client.IgnoreNotFound(h.Client.Delete(context.Background(), c))).To(Succeed())
	g.Eventually(func() bool {
		return apierrors.IsNotFound(h.Client.Get(context.Background(), client.ObjectKey{Name: name}, c))
	}).WithTimeout(timeout).WithPolling(interval).Should(BeTrue(), "CRD %s not deleted in %s", name, h.Name)
}

func widget(gvk schema.GroupVersionKind, ns, name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{"size": int64(3)}}}
	u.SetGroupVersionKind(gvk)
	u.SetNamespace(ns)
	u.SetName(name)
	return u
}

// TestSyncCRDs: with syncCRDs the CRD of a custom type is copied first, then its objects.
func TestSyncCRDs(t *testing.T) {
	g := NewWithT(t)
	installCRD(t, g, prod, namespacedCRD("Widget", "widgets"))
	t.Cleanup(func() { removeCRD(t, dr, "widgets.example.com") })
	gvk := schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Widget"}
	ns := newNamespace(t, g, "crds")
	create(g, prod, widget(gvk, ns, "w1"), configMap(ns, "cm"))
	g.Expect(absent(dr, gvkCRD, "", "widgets.example.com")).To(BeTrue())

	create(g, prod, mapping("sync-crds", ns, ns, func(m *drv1.NamespaceMapping) { m.Spec.SyncCRDs = true }))
	t.Cleanup(func() { deleteMapping(NewWithT(t), "sync-crds") })
	m := triggerSync(t, g, "sync-crds")
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced), failedNames(m))
	crd := get(g, dr, gvkCRD, "", "widgets.example.com")
	dr.Invalidate()
	g.Expect(nested(g, crd, "spec", "scope")).To(Equal("Namespaced"))
	w := get(g, dr, gvk, ns, "w1")
	g.Expect(nested(g, w, "spec", "size")).To(BeEquivalentTo(3))
	g.Expect(w.GetLabels()).To(HaveKeyWithValue(drv1.LabelMapping, engine.MappingID(controllerNS, "sync-crds")))
	get(g, dr, gvkConfigMap, ns, "cm")
}

// TestTypeNotServedInDest: without syncCRDs, a custom type the destination does not serve fails
// on its own (TypeNotServed) and every other type still syncs.
func TestTypeNotServedInDest(t *testing.T) {
	g := NewWithT(t)
	installCRD(t, g, prod, namespacedCRD("Gadget", "gadgets"))
	gvk := schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Gadget"}
	ns := newNamespace(t, g, "notserved")
	create(g, prod, widget(gvk, ns, "g1"), configMap(ns, "cm"), deployment(ns, "web", 1))

	create(g, prod, mapping("not-served", ns, ns))
	t.Cleanup(func() { deleteMapping(NewWithT(t), "not-served") })
	m := triggerSync(t, g, "not-served")
	f := failure(m, "Gadget", "")
	g.Expect(f).NotTo(BeNil(), failedNames(m))
	g.Expect(f.Reason).To(Equal("TypeNotServed"))
	g.Expect(f.Group).To(Equal("example.com"))
	g.Expect(m.Status.LastSyncStats.Failed).To(BeEquivalentTo(1), failedNames(m))
	g.Expect(condition(m, drv1.ConditionReady).Status).To(Equal(metav1.ConditionFalse))
	get(g, dr, gvkConfigMap, ns, "cm")
	get(g, dr, gvkDeployment, ns, "web")
	g.Expect(absent(dr, gvkCRD, "", "gadgets.example.com")).To(BeTrue())
	g.Expect(f.Message).To(ContainSubstring("has 1 objects"))

	// A namespace without Gadgets has no gap in DR: the unserved type is no failure there.
	unused := newNamespace(t, g, "notserved-unused")
	create(g, prod, configMap(unused, "cm"))
	create(g, prod, mapping("not-served-unused", unused, unused))
	t.Cleanup(func() { deleteMapping(NewWithT(t), "not-served-unused") })
	m = triggerSync(t, g, "not-served-unused")
	g.Expect(failure(m, "Gadget", "")).To(BeNil(), failedNames(m))
	g.Expect(condition(m, drv1.ConditionReady).Status).To(Equal(metav1.ConditionTrue), failedNames(m))
}
