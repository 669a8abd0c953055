package chart

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/restmapper"
)

// fieldManager is the field manager the tests apply the chart with.
const fieldManager = "chart-test"

// admin holds clients with the test bed's admin credentials.
type admin struct {
	kube    kubernetes.Interface
	dynamic dynamic.Interface
	mapper  meta.RESTMapper
}

func newAdmin(t *testing.T) *admin {
	t.Helper()
	kube, err := kubernetes.NewForConfig(bed.Config)
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(bed.Config)
	if err != nil {
		t.Fatal(err)
	}
	disc, err := discovery.NewDiscoveryClientForConfig(bed.Config)
	if err != nil {
		t.Fatal(err)
	}
	return &admin{kube: kube, dynamic: dyn, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc))}
}

// createNamespace creates a namespace with the given labels; it is deleted when the test ends.
func (a *admin) createNamespace(t *testing.T, name string, labels map[string]string) {
	t.Helper()
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	if _, err := a.kube.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating namespace %s: %v", name, err)
	}
	t.Cleanup(func() { _ = a.kube.CoreV1().Namespaces().Delete(context.Background(), name, metav1.DeleteOptions{}) })
}

// resource returns the dynamic client of obj's kind, in obj's namespace when the kind is namespaced.
func (a *admin) resource(t *testing.T, client dynamic.Interface, obj *unstructured.Unstructured) dynamic.ResourceInterface {
	t.Helper()
	gvk := obj.GroupVersionKind()
	m, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		t.Fatalf("%s %s: %v", gvk, obj.GetName(), err)
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		if obj.GetNamespace() == "" {
			t.Fatalf("%s %s is namespaced but the chart gives it no namespace", gvk.Kind, obj.GetName())
		}
		return client.Resource(m.Resource).Namespace(obj.GetNamespace())
	}
	return client.Resource(m.Resource)
}

// install server-side applies every rendered object, in Helm's install order, as an administrator
// would install the chart, and removes the cluster-scoped ones (but the CRDs) when the test ends.
func (a *admin) install(t *testing.T, r *rendered) {
	t.Helper()
	ctx := context.Background()
	for _, obj := range r.Objects {
		res := a.resource(t, a.dynamic, obj)
		if _, err := res.Apply(ctx, obj.GetName(), obj, metav1.ApplyOptions{FieldManager: fieldManager, Force: true}); err != nil {
			t.Fatalf("applying %s %s: %v", obj.GetKind(), obj.GetName(), err)
		}
		if obj.GetNamespace() == "" && obj.GetKind() != "CustomResourceDefinition" {
			t.Cleanup(func() { _ = res.Delete(context.Background(), obj.GetName(), metav1.DeleteOptions{}) })
		}
	}
}
