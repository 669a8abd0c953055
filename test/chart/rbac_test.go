package chart

import (
	"context"
	"fmt"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

var (
	remoteClusters    = schema.GroupVersionResource{Group: "dr-syncer.io", Version: "v1alpha1", Resource: "remoteclusters"}
	namespaceMappings = schema.GroupVersionResource{Group: "dr-syncer.io", Version: "v1alpha1", Resource: "namespacemappings"}
)

// access is one request the controller's ServiceAccount may or may not make.
type access struct {
	verb, group, resource, subresource, namespace string
	allowed                                       bool
}

func (c access) String() string {
	r := c.resource
	if c.group != "" {
		r += "." + c.group
	}
	if c.subresource != "" {
		r += "/" + c.subresource
	}
	where := "cluster-wide"
	if c.namespace != "" {
		where = "in " + c.namespace
	}
	return fmt.Sprintf("%s %s %s", c.verb, r, where)
}

// asServiceAccount returns clients that act as the release's ServiceAccount.
func asServiceAccount(t *testing.T, namespace, name string) (kubernetes.Interface, dynamic.Interface) {
	t.Helper()
	cfg := rest.CopyConfig(bed.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:" + namespace + ":" + name}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return kube, dyn
}

// checkAccess asks the API server, as the ServiceAccount, whether each request is allowed.
func checkAccess(t *testing.T, kube kubernetes.Interface, checks []access) {
	t.Helper()
	for _, c := range checks {
		review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
			ResourceAttributes: &authorizationv1.ResourceAttributes{
				Verb: c.verb, Group: c.group, Resource: c.resource, Subresource: c.subresource, Namespace: c.namespace,
			},
		}}
		got, err := kube.AuthorizationV1().SelfSubjectAccessReviews().Create(context.Background(), review, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		if got.Status.Allowed != c.allowed {
			t.Errorf("%s: allowed = %v, want %v", c, got.Status.Allowed, c.allowed)
		}
	}
}

// installForRBAC installs a release into its own namespace and returns its ServiceAccount's name.
func installForRBAC(t *testing.T, a *admin, release, vals string) string {
	t.Helper()
	a.createNamespace(t, release, nil)
	r := mustRender(t, release, release, values(t, vals))
	a.install(t, r)
	sa := r.find(t, "ServiceAccount", "")
	if sa == nil {
		t.Fatal("no ServiceAccount rendered")
	}
	return sa.GetName()
}

// TestRBACDefaults checks, as the chart's ServiceAccount, that it can do what the controller does
// and nothing more; the default rbac.sourceReadRules let it read any object in any namespace.
func TestRBACDefaults(t *testing.T) {
	ctx := context.Background()
	a := newAdmin(t)
	const ns, other = "rbac-defaults", "rbac-defaults-app"
	sa := installForRBAC(t, a, ns, "")
	a.createNamespace(t, other, nil)
	kube, dyn := asServiceAccount(t, ns, sa)

	checkAccess(t, kube, []access{
		// Reading sources in this cluster (rbac.sourceReadRules).
		{verb: "list", resource: "configmaps", namespace: other, allowed: true},
		{verb: "watch", resource: "configmaps", namespace: other, allowed: true},
		{verb: "get", group: "apps", resource: "deployments", namespace: other, allowed: true},
		{verb: "list", group: "apps", resource: "deployments", namespace: other, allowed: true},
		{verb: "list", resource: "secrets", namespace: other, allowed: true},
		{verb: "list", group: "apiextensions.k8s.io", resource: "customresourcedefinitions", allowed: true},
		{verb: "list", resource: "namespaces", allowed: true},
		{verb: "watch", resource: "namespaces", allowed: true},
		// Its own API, in the release namespace.
		{verb: "get", group: "dr-syncer.io", resource: "remoteclusters", namespace: ns, allowed: true},
		{verb: "list", group: "dr-syncer.io", resource: "remoteclusters", namespace: ns, allowed: true},
		{verb: "watch", group: "dr-syncer.io", resource: "remoteclusters", namespace: ns, allowed: true},
		{verb: "watch", group: "dr-syncer.io", resource: "namespacemappings", namespace: ns, allowed: true},
		{verb: "patch", group: "dr-syncer.io", resource: "remoteclusters", subresource: "status", namespace: ns, allowed: true},
		{verb: "patch", group: "dr-syncer.io", resource: "namespacemappings", subresource: "status", namespace: ns, allowed: true},
		{verb: "update", group: "dr-syncer.io", resource: "namespacemappings", subresource: "status", namespace: ns, allowed: true},
		{verb: "patch", group: "dr-syncer.io", resource: "namespacemappings", namespace: ns, allowed: true},
		{verb: "update", group: "dr-syncer.io", resource: "namespacemappings", subresource: "finalizers", namespace: ns, allowed: true},
		{verb: "list", group: "dr-syncer.io", resource: "parkingrules", namespace: ns, allowed: true},
		{verb: "watch", group: "dr-syncer.io", resource: "parkingrules", namespace: ns, allowed: true},
		{verb: "patch", group: "dr-syncer.io", resource: "parkingrules", subresource: "status", namespace: ns, allowed: true},
		{verb: "get", resource: "secrets", namespace: ns, allowed: true},
		{verb: "watch", resource: "secrets", namespace: ns, allowed: true},
		{verb: "create", group: "coordination.k8s.io", resource: "leases", namespace: ns, allowed: true},
		{verb: "update", group: "coordination.k8s.io", resource: "leases", namespace: ns, allowed: true},
		{verb: "create", resource: "events", namespace: ns, allowed: true},
		{verb: "patch", resource: "events", namespace: ns, allowed: true},
		{verb: "create", group: "events.k8s.io", resource: "events", namespace: ns, allowed: true},
		// Events land in the namespace of the object they are about, which may be any.
		{verb: "create", resource: "events", namespace: other, allowed: true},
		{verb: "delete", resource: "events", namespace: ns},
		// Never writes in this cluster beyond that.
		{verb: "delete", group: "apps", resource: "deployments", namespace: other},
		{verb: "create", resource: "configmaps", namespace: other},
		{verb: "patch", resource: "configmaps", namespace: other},
		{verb: "create", resource: "secrets", namespace: ns},
		{verb: "update", resource: "secrets", namespace: ns},
		{verb: "delete", resource: "secrets", namespace: ns},
		{verb: "update", group: "dr-syncer.io", resource: "remoteclusters", namespace: ns},
		{verb: "patch", group: "dr-syncer.io", resource: "remoteclusters", namespace: ns},
		{verb: "create", group: "dr-syncer.io", resource: "remoteclusters", namespace: ns},
		{verb: "delete", group: "dr-syncer.io", resource: "namespacemappings", namespace: ns},
		{verb: "create", group: "dr-syncer.io", resource: "namespacemappings", namespace: ns},
		{verb: "patch", group: "dr-syncer.io", resource: "namespacemappings", subresource: "status", namespace: other},
		{verb: "update", group: "dr-syncer.io", resource: "namespacemappings", namespace: other},
		{verb: "update", group: "dr-syncer.io", resource: "parkingrules", namespace: ns},
		{verb: "create", group: "dr-syncer.io", resource: "parkingrules", namespace: ns},
		{verb: "create", group: "coordination.k8s.io", resource: "leases", namespace: other},
		{verb: "create", resource: "namespaces"},
		{verb: "delete", resource: "namespaces"},
		{verb: "create", resource: "pods", subresource: "exec", namespace: other},
		{verb: "create", group: "rbac.authorization.k8s.io", resource: "clusterrolebindings"},
		{verb: "escalate", group: "rbac.authorization.k8s.io", resource: "clusterroles"},
		{verb: "impersonate", resource: "users"},
		{verb: "create", group: "apiextensions.k8s.io", resource: "customresourcedefinitions"},
	})

	// Real requests agree with the reviews.
	if _, err := kube.CoreV1().ConfigMaps(other).List(ctx, metav1.ListOptions{}); err != nil {
		t.Errorf("listing ConfigMaps in %s: %v", other, err)
	}
	if _, err := kube.AppsV1().Deployments(other).List(ctx, metav1.ListOptions{}); err != nil {
		t.Errorf("listing Deployments in %s: %v", other, err)
	}
	w, err := dyn.Resource(remoteClusters).Namespace(ns).Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Errorf("watching RemoteClusters: %v", err)
	} else {
		w.Stop()
	}

	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "dr-kubeconfig"}, StringData: map[string]string{"kubeconfig": "{}"}}
	if _, err := a.kube.CoreV1().Secrets(ns).Create(ctx, secret, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := kube.CoreV1().Secrets(ns).Get(ctx, "dr-kubeconfig", metav1.GetOptions{}); err != nil {
		t.Errorf("getting the kubeconfig Secret: %v", err)
	}
	if _, err := kube.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "planted"}}, metav1.CreateOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("creating a Secret: err = %v, want Forbidden", err)
	}

	rc := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "dr-syncer.io/v1alpha1", "kind": "RemoteCluster",
		"metadata": map[string]any{"name": "dr"},
		"spec":     map[string]any{"kubeconfigSecretRef": map[string]any{"name": "dr-kubeconfig"}},
	}}
	if _, err := a.dynamic.Resource(remoteClusters).Namespace(ns).Create(ctx, rc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	nm := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "dr-syncer.io/v1alpha1", "kind": "NamespaceMapping",
		"metadata": map[string]any{"name": "app"},
		"spec":     map[string]any{"destinationCluster": "dr", "sourceNamespace": other},
	}}
	if _, err := a.dynamic.Resource(namespaceMappings).Namespace(ns).Create(ctx, nm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := dyn.Resource(namespaceMappings).Namespace(ns).List(ctx, metav1.ListOptions{}); err != nil {
		t.Errorf("listing NamespaceMappings: %v", err)
	}
	statusPatch := []byte(`{"status":{"phase":"Synced"}}`)
	if _, err := dyn.Resource(namespaceMappings).Namespace(ns).Patch(ctx, "app", types.MergePatchType, statusPatch, metav1.PatchOptions{}, "status"); err != nil {
		t.Errorf("patching NamespaceMapping status: %v", err)
	}
	finalizer := []byte(`{"metadata":{"finalizers":["dr-syncer.io/cleanup"]}}`)
	if _, err := dyn.Resource(namespaceMappings).Namespace(ns).Patch(ctx, "app", types.MergePatchType, finalizer, metav1.PatchOptions{}); err != nil {
		t.Errorf("adding the cleanup finalizer: %v", err)
	}
	t.Cleanup(func() {
		_, _ = a.dynamic.Resource(namespaceMappings).Namespace(ns).Patch(context.Background(), "app", types.MergePatchType,
			[]byte(`{"metadata":{"finalizers":null}}`), metav1.PatchOptions{})
	})
	specPatch := []byte(`{"spec":{"context":"elsewhere"}}`)
	if _, err := dyn.Resource(remoteClusters).Namespace(ns).Patch(ctx, "dr", types.MergePatchType, specPatch, metav1.PatchOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("changing a RemoteCluster's spec: err = %v, want Forbidden", err)
	}
	if err := kube.AppsV1().Deployments(other).Delete(ctx, "anything", metav1.DeleteOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("deleting a Deployment: err = %v, want Forbidden", err)
	}

	lease := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: "dr-syncer.dr-syncer.io"}}
	if _, err := kube.CoordinationV1().Leases(ns).Create(ctx, lease, metav1.CreateOptions{}); err != nil {
		t.Errorf("creating the leader-election Lease: %v", err)
	}
	if _, err := kube.CoordinationV1().Leases(other).Create(ctx, lease, metav1.CreateOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("creating a Lease in %s: err = %v, want Forbidden", other, err)
	}

	event := &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{GenerateName: "app."},
		InvolvedObject: corev1.ObjectReference{APIVersion: "dr-syncer.io/v1alpha1", Kind: "NamespaceMapping", Namespace: ns, Name: "app"},
		Reason:         "SyncSucceeded", Message: "test", Type: corev1.EventTypeNormal,
	}
	if _, err := kube.CoreV1().Events(ns).Create(ctx, event, metav1.CreateOptions{}); err != nil {
		t.Errorf("recording an Event: %v", err)
	}
}

// TestRBACWithoutSourceReads checks that rbac.sourceReadRules: [] leaves the ServiceAccount nothing
// to read outside its namespace but Namespaces: every source is then a RemoteCluster.
func TestRBACWithoutSourceReads(t *testing.T) {
	ctx := context.Background()
	a := newAdmin(t)
	const ns, other = "rbac-narrow", "rbac-narrow-app"
	sa := installForRBAC(t, a, ns, `rbac: {sourceReadRules: []}`)
	a.createNamespace(t, other, nil)
	kube, _ := asServiceAccount(t, ns, sa)

	checkAccess(t, kube, []access{
		{verb: "get", resource: "secrets", namespace: other},
		{verb: "list", resource: "secrets", namespace: other},
		{verb: "list", resource: "configmaps", namespace: other},
		{verb: "list", group: "apps", resource: "deployments", namespace: other},
		{verb: "list", group: "dr-syncer.io", resource: "remoteclusters", namespace: other},
		{verb: "list", group: "dr-syncer.io", resource: "namespacemappings"},
		{verb: "list", resource: "secrets"},
		{verb: "list", resource: "namespaces", allowed: true},
		{verb: "get", resource: "secrets", namespace: ns, allowed: true},
		{verb: "list", group: "dr-syncer.io", resource: "namespacemappings", namespace: ns, allowed: true},
		{verb: "create", group: "coordination.k8s.io", resource: "leases", namespace: ns, allowed: true},
	})

	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "app-credentials"}, StringData: map[string]string{"password": "x"}}
	if _, err := a.kube.CoreV1().Secrets(other).Create(ctx, secret, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := kube.CoreV1().Secrets(other).Get(ctx, "app-credentials", metav1.GetOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("getting a Secret in %s: err = %v, want Forbidden", other, err)
	}
	if _, err := kube.CoreV1().Namespaces().List(ctx, metav1.ListOptions{}); err != nil {
		t.Errorf("listing Namespaces: %v", err)
	}
}
