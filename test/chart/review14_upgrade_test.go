package chart

import (
	"context"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"
)

// TestHelmUpgradeRenamesClusterRoles runs Helm itself against the test bed: a release of the chart
// before this one (ClusterRoles named <fullname>-...) is upgraded to the current chart (named after
// the namespace): the new ClusterRoles and bindings exist and bind the release's ServiceAccount,
// and none of the old names is left behind.
func TestHelmUpgradeRenamesClusterRoles(t *testing.T) {
	const ns, name = "upgrade-from-prerelease", "dr-syncer"
	dir := t.TempDir()
	oldChart := previousChart(t, dir)
	newChart, err := loader.Load(chartDir)
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig, err := bed.WriteKubeconfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	flags := genericclioptions.NewConfigFlags(false)
	flags.KubeConfig, flags.Namespace = &kubeconfig, ptrTo(ns)
	cfg := new(action.Configuration)
	if err := cfg.Init(flags, ns, "secret", func(string, ...any) {}); err != nil {
		t.Fatal(err)
	}
	a := newAdmin(t)
	a.createNamespace(t, ns, nil)
	vals := values(t, `crds: {enabled: false}`)

	install := action.NewInstall(cfg)
	install.ReleaseName, install.Namespace = name, ns
	if _, err := install.Run(oldChart, vals); err != nil {
		t.Fatalf("helm install (previous chart): %v", err)
	}
	t.Cleanup(func() { _, _ = action.NewUninstall(cfg).Run(name) })
	ctx := context.Background()
	crs := a.kube.RbacV1().ClusterRoles()
	if _, err := crs.Get(ctx, "dr-syncer-controller", metav1.GetOptions{}); err != nil {
		t.Fatalf("previous chart's ClusterRole: %v", err)
	}

	upgrade := action.NewUpgrade(cfg)
	upgrade.Namespace, upgrade.ResetThenReuseValues = ns, true
	if _, err := upgrade.Run(name, newChart, map[string]any{}); err != nil {
		t.Fatalf("helm upgrade: %v", err)
	}
	list, err := crs.List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/instance=" + name})
	if err != nil {
		t.Fatal(err)
	}
	for _, cr := range list.Items {
		if !strings.HasPrefix(cr.Name, ns) {
			t.Errorf("ClusterRole %s left behind by the upgrade", cr.Name)
		}
	}
	bindings, err := a.kube.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/instance=" + name})
	if err != nil {
		t.Fatal(err)
	}
	if len(bindings.Items) != 2 {
		t.Errorf("%d ClusterRoleBindings after the upgrade, want 2", len(bindings.Items))
	}
	for _, b := range bindings.Items {
		if !strings.HasPrefix(b.Name, ns) || len(b.Subjects) != 1 || b.Subjects[0].Namespace != ns || b.Subjects[0].Name != name {
			t.Errorf("ClusterRoleBinding %s binds %+v", b.Name, b.Subjects)
		}
		if _, err := crs.Get(ctx, b.RoleRef.Name, metav1.GetOptions{}); err != nil {
			t.Errorf("ClusterRoleBinding %s refers to %s: %v", b.Name, b.RoleRef.Name, err)
		}
	}
}

func ptrTo(s string) *string { return &s }
