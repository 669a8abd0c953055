package e2e

import (
	"bufio"
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/cluster"
	"github.com/dr-syncer/dr-syncer/internal/controller"
)

// TestChartRBAC installs the chart's ServiceAccount and RBAC (default values, release namespace
// dr-syncer-system) in prod and runs the controller as that ServiceAccount (impersonated), with
// leader election as the chart enables it: a Manual sync of a namespace to dr works with exactly
// those permissions, and nothing the controller does is refused. The chart governs only the
// controller's own cluster; the RemoteCluster's kubeconfig is admin on dr.
func TestChartRBAC(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	const ns, appNS, name = "dr-syncer-system", "rbac-app", "rbac"
	prod, dr := prodClient(t), drClient(t)
	setUpControllerNamespace(t, g, ns)
	sa := applyChartRBAC(t, g, prod, "dr-syncer", ns)

	g.Expect(prod.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: appNS}})).To(Succeed())
	for _, o := range []client.Object{
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: appNS, Name: "settings"}, Data: map[string]string{"k": "v"}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: appNS, Name: "features"}, Data: map[string]string{"beta": "on"}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: appNS, Name: "db"}, StringData: map[string]string{"password": "p4ss"}},
		testDeployment(appNS, "web", 3),
	} {
		g.Expect(prod.Create(ctx, o)).To(Succeed())
	}

	cfg := rest.CopyConfig(clusters[0].Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:" + ns + ":" + sa}
	// The impersonated identity really is confined: it cannot write to the source namespace.
	asSA, err := client.New(cfg, client.Options{Scheme: cluster.Scheme})
	g.Expect(err).NotTo(HaveOccurred())
	err = asSA.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: appNS, Name: "probe"}})
	g.Expect(apierrors.IsForbidden(err)).To(BeTrue(), "creating a ConfigMap as the ServiceAccount: %v", err)

	logStart := len(inProcessLog.Lines())
	mgr, err := controller.NewManager(cfg, controller.Options{
		Namespace: ns, MetricsBindAddress: "0", HealthProbeBindAddress: "0", LeaderElection: true, ApplyWorkers: 4,
	})
	g.Expect(err).NotTo(HaveOccurred())
	mgrCtx, stop := context.WithCancel(ctx)
	stopped := make(chan error, 1)
	go func() { stopped <- mgr.Start(mgrCtx) }()
	t.Cleanup(func() {
		stop()
		select {
		case err := <-stopped:
			if err != nil {
				t.Errorf("manager: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("manager still running 30s after it was stopped")
		}
	})

	g.Eventually(func(g Gomega) {
		rc := &drv1.RemoteCluster{}
		g.Expect(prod.Get(ctx, client.ObjectKey{Namespace: ns, Name: "dr"}, rc)).To(Succeed())
		g.Expect(meta.IsStatusConditionTrue(rc.Status.Conditions, drv1.ConditionReady)).To(BeTrue(), "%+v", rc.Status.Conditions)
	}).WithTimeout(30 * time.Second).WithPolling(100 * time.Millisecond).Should(Succeed())
	g.Expect(prod.Create(ctx, &drv1.NamespaceMapping{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       drv1.NamespaceMappingSpec{DestinationCluster: "dr", SourceNamespace: appNS, ReplicationMode: drv1.ModeManual},
	})).To(Succeed())
	m := triggerSync(t, g, ns, name, "as-chart-sa")
	g.Expect(meta.IsStatusConditionTrue(m.Status.Conditions, drv1.ConditionReady)).To(BeTrue(), "%+v", m.Status.Conditions)
	g.Expect(m.Status.LastSyncStats).NotTo(BeNil())
	g.Expect(m.Status.LastSyncStats.Failed).To(BeZero(), "%+v", m.Status.FailedResources)

	// In dr: the ConfigMaps, the Secret and the parked Deployment.
	for _, cmName := range []string{"settings", "features"} {
		g.Expect(dr.Get(ctx, client.ObjectKey{Namespace: appNS, Name: cmName}, &corev1.ConfigMap{})).To(Succeed())
	}
	sec := &corev1.Secret{}
	g.Expect(dr.Get(ctx, client.ObjectKey{Namespace: appNS, Name: "db"}, sec)).To(Succeed())
	g.Expect(string(sec.Data["password"])).To(Equal("p4ss"))
	dep := &appsv1.Deployment{}
	g.Expect(dr.Get(ctx, client.ObjectKey{Namespace: appNS, Name: "web"}, dep)).To(Succeed())
	g.Expect(*dep.Spec.Replicas).To(BeZero())
	g.Expect(dep.Annotations).To(HaveKeyWithValue(drv1.AnnotationOriginalReplicas, "3"))

	// The controller's writes in prod went through too: status, finalizer, Lease and Events.
	g.Eventually(func(g Gomega) {
		events := &corev1.EventList{}
		g.Expect(prod.List(ctx, events, client.InNamespace(ns))).To(Succeed())
		var reasons []string
		for _, e := range events.Items {
			if e.InvolvedObject.Name == name {
				reasons = append(reasons, e.Reason)
			}
		}
		g.Expect(reasons).To(ContainElement("SyncSucceeded"))
	}).WithTimeout(10 * time.Second).WithPolling(200 * time.Millisecond).Should(Succeed())

	// Nothing was refused along the way.
	for _, l := range inProcessLog.Lines()[logStart:] {
		if lower := strings.ToLower(l.text); strings.Contains(lower, "forbidden") || strings.Contains(lower, "cannot ") {
			t.Errorf("the controller was refused something: %s", l.text)
		}
	}
}

// applyChartRBAC renders the chart with default values as release name in namespace, creates its
// ServiceAccount, ClusterRoles, Roles and bindings in prod, and returns the ServiceAccount's name.
func applyChartRBAC(t *testing.T, g Gomega, c client.Client, release, namespace string) string {
	t.Helper()
	chrt, err := loader.Load(filepath.Join("..", "..", "charts", "dr-syncer"))
	g.Expect(err).NotTo(HaveOccurred())
	kv, err := chartutil.ParseKubeVersion("v1.37.2")
	g.Expect(err).NotTo(HaveOccurred())
	install := action.NewInstall(&action.Configuration{Log: func(string, ...any) {}})
	install.ReleaseName, install.Namespace = release, namespace
	install.DryRun, install.ClientOnly, install.KubeVersion = true, true, kv
	rel, err := install.Run(chrt, map[string]any{})
	g.Expect(err).NotTo(HaveOccurred())

	rbacKinds := map[string]bool{"ServiceAccount": true, "ClusterRole": true, "ClusterRoleBinding": true, "Role": true, "RoleBinding": true}
	sa := ""
	reader := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(rel.Manifest)))
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		g.Expect(err).NotTo(HaveOccurred())
		obj := &unstructured.Unstructured{}
		g.Expect(yaml.Unmarshal(doc, &obj.Object)).To(Succeed())
		if obj.Object == nil || !rbacKinds[obj.GetKind()] {
			continue
		}
		if obj.GetKind() == "ServiceAccount" {
			sa = obj.GetName()
		}
		g.Expect(c.Create(context.Background(), obj)).To(Succeed(), "creating %s %s", obj.GetKind(), obj.GetName())
	}
	g.Expect(sa).NotTo(BeEmpty(), "the chart rendered no ServiceAccount")
	return sa
}
