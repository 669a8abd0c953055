package sync_test

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/dr-syncer/dr-syncer/internal/cluster"
	"github.com/dr-syncer/dr-syncer/internal/engine"
	"github.com/dr-syncer/dr-syncer/internal/transform"
)

// TestSyncWithoutSecretsInDR: DR credentials that may not read Secrets sync a mapping of other
// kinds without a failure: the stash Secrets of kinds no longer stashed are looked for, but
// not being able to list them fails nothing (no kind of this sync is stashed).
func TestSyncWithoutSecretsInDR(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	user, err := drTB.Env.AddUser(envtest.User{Name: "no-secrets"}, drTB.Config)
	g.Expect(err).NotTo(HaveOccurred())
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "dr-syncer-test-no-secrets"}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"namespaces", "configmaps"}, Verbs: []string{"*"}}}}
	binding := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "dr-syncer-test-no-secrets"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "no-secrets"}}}
	create(g, dr, role, binding)
	t.Cleanup(func() {
		for _, o := range []client.Object{role, binding} {
			_ = dr.Client.Delete(context.Background(), o)
		}
	})
	kubeconfig, err := user.KubeConfig()
	g.Expect(err).NotTo(HaveOccurred())
	cfg, err := clientcmd.RESTConfigFromKubeConfig(kubeconfig)
	g.Expect(err).NotTo(HaveOccurred())
	limited, err := cluster.New("dr-no-secrets", cfg)
	g.Expect(err).NotTo(HaveOccurred())

	ns := newNamespace(t, g, "nosecrets")
	create(g, prod, configMap(ns, "settings"))
	for range 2 { // the second sync lists the copies in DR too
		res, err := engine.Sync(ctx, engine.Request{Source: prod, Dest: limited, ResourceTypes: []string{"configmaps"}, Prune: true, CreateNamespace: true,
			Transform: transform.Options{SourceNamespace: ns, DestNamespace: ns, MappingID: engine.MappingID(controllerNS, "nosecrets")}})
		g.Expect(err).NotTo(HaveOccurred())
		for _, a := range res.Actions {
			g.Expect(a.Type).NotTo(Equal(engine.ActionFailed), "%s %s: %s", a.GVK.Kind, a.Name, a.Message)
		}
	}
	g.Expect(absent(dr, gvkConfigMap, ns, "settings")).To(BeFalse())
}
