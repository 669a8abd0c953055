package chart

import (
	"context"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
)

// clusterScoped returns the names of the rendered cluster-scoped objects, by kind/name.
func clusterScoped(r *rendered) map[string]bool {
	names := map[string]bool{}
	for _, o := range r.Objects {
		if o.GetNamespace() == "" {
			names[o.GetKind()+"/"+o.GetName()] = true
		}
	}
	return names
}

// TestTwoReleasesSideBySide installs two releases of the same name into two namespaces of one
// API server: their cluster-scoped objects do not collide, and each ServiceAccount keeps exactly
// its own release's rights. Only the CRDs are shared, so the second release leaves them out.
func TestTwoReleasesSideBySide(t *testing.T) {
	ctx := context.Background()
	a := newAdmin(t)
	const release, nsA, nsB = "dr-syncer", "side-a", "side-b"

	// With defaults, the CRDs are the only cluster-scoped objects the two releases share.
	first := mustRender(t, release, nsA, nil)
	bothDefault := mustRender(t, release, nsB, nil)
	var shared []string
	for name := range clusterScoped(bothDefault) {
		if clusterScoped(first)[name] {
			shared = append(shared, name)
		}
	}
	slices.Sort(shared)
	if want := []string{
		"CustomResourceDefinition/namespacemappings.dr-syncer.io", "CustomResourceDefinition/parkingrules.dr-syncer.io",
		"CustomResourceDefinition/remoteclusters.dr-syncer.io",
	}; !slices.Equal(shared, want) {
		t.Errorf("cluster-scoped objects of both releases: %q, want only the CRDs %q", shared, want)
	}

	second := mustRender(t, release, nsB, values(t, `crds: {enabled: false}`))
	for name := range clusterScoped(second) {
		if clusterScoped(first)[name] {
			t.Errorf("%s is rendered by both releases", name)
		}
	}
	a.createNamespace(t, nsA, nil)
	a.createNamespace(t, nsB, nil)
	a.install(t, first)
	a.install(t, second)

	// The second install overwrote nothing of the first: every object is as its release rendered it.
	for _, r := range []*rendered{first, second} {
		for _, obj := range r.Objects {
			got, err := a.resource(t, a.dynamic, obj).Get(ctx, obj.GetName(), metav1.GetOptions{})
			if err != nil {
				t.Fatalf("%s %s: %v", obj.GetKind(), obj.GetName(), err)
			}
			if obj.GetKind() != "ClusterRoleBinding" {
				continue
			}
			subjects, _, _ := unstructured.NestedSlice(got.Object, "subjects")
			if len(subjects) != 1 || subjects[0].(map[string]any)["namespace"] != r.Release.Namespace {
				t.Errorf("ClusterRoleBinding %s binds %v, want the ServiceAccount of namespace %s", got.GetName(), subjects, r.Release.Namespace)
			}
		}
	}

	for ns, other := range map[string]string{nsA: nsB, nsB: nsA} {
		kube, _ := asServiceAccount(t, ns, "dr-syncer")
		checkAccess(t, kube, []access{
			{verb: "list", resource: "namespaces", allowed: true},
			{verb: "list", resource: "configmaps", namespace: other, allowed: true},
			{verb: "patch", group: "dr-syncer.io", resource: "namespacemappings", subresource: "status", namespace: ns, allowed: true},
			{verb: "patch", group: "dr-syncer.io", resource: "namespacemappings", subresource: "status", namespace: other, allowed: false},
			{verb: "get", resource: "secrets", namespace: ns, allowed: true},
			{verb: "create", group: "coordination.k8s.io", resource: "leases", namespace: other, allowed: false},
		})
	}
}

// TestMonitoringOnlyWhenServed: the ServiceMonitor and PrometheusRule are rendered only for an API
// server that serves monitoring.coreos.com/v1; otherwise NOTES.txt says why they are missing.
func TestMonitoringOnlyWhenServed(t *testing.T) {
	const enabled = `{metrics: {serviceMonitor: {enabled: true}}, prometheusRule: {enabled: true}}`
	served := mustRender(t, "drs", "dr-syncer-system", values(t, enabled))
	if served.count("ServiceMonitor") != 1 || served.count("PrometheusRule") != 1 {
		t.Errorf("with monitoring.coreos.com/v1 served: %d ServiceMonitors, %d PrometheusRules, want 1 each",
			served.count("ServiceMonitor"), served.count("PrometheusRule"))
	}
	if strings.Contains(served.Release.Info.Notes, "monitoring.coreos.com/v1") {
		t.Errorf("NOTES.txt warns about monitoring.coreos.com/v1 although it is served:\n%s", served.Release.Info.Notes)
	}

	missing, err := renderChartFor("drs", "dr-syncer-system", values(t, enabled), nil)
	if err != nil {
		t.Fatal(err)
	}
	if missing.count("ServiceMonitor") != 0 || missing.count("PrometheusRule") != 0 {
		t.Errorf("without monitoring.coreos.com/v1: %d ServiceMonitors, %d PrometheusRules, want none",
			missing.count("ServiceMonitor"), missing.count("PrometheusRule"))
	}
	for _, want := range []string{"No ServiceMonitor was created", "No PrometheusRule was created", "--api-versions monitoring.coreos.com/v1/ServiceMonitor", "--api-versions monitoring.coreos.com/v1/PrometheusRule"} {
		if !strings.Contains(missing.Release.Info.Notes, want) {
			t.Errorf("NOTES.txt lacks %q:\n%s", want, missing.Release.Info.Notes)
		}
	}

	// Disabled, nothing is said.
	quiet, err := renderChartFor("drs", "dr-syncer-system", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(quiet.Release.Info.Notes, "monitoring.coreos.com") {
		t.Errorf("NOTES.txt mentions monitoring with it disabled:\n%s", quiet.Release.Info.Notes)
	}
}

// TestReplicasSpreadOverNodesAndZones: by default the two replicas are spread, softly, over nodes
// and zones; user constraints replace the chart's; one replica needs no spread.
func TestReplicasSpreadOverNodesAndZones(t *testing.T) {
	r := mustRender(t, "drs", "dr-syncer-system", nil)
	d := r.deployment(t)
	if got := ptr.Deref(d.Spec.RevisionHistoryLimit, -1); got != 3 {
		t.Errorf("revisionHistoryLimit = %d, want 3", got)
	}
	spread := d.Spec.Template.Spec.TopologySpreadConstraints
	var keys []string
	for _, c := range spread {
		keys = append(keys, c.TopologyKey)
		if c.MaxSkew != 1 || c.WhenUnsatisfiable != "ScheduleAnyway" || c.LabelSelector == nil ||
			!slices.Equal(c.MatchLabelKeys, []string{"pod-template-hash"}) {
			t.Errorf("constraint %+v: want maxSkew 1, ScheduleAnyway, a selector and matchLabelKeys [pod-template-hash]", c)
			continue
		}
		for k, v := range c.LabelSelector.MatchLabels {
			if d.Spec.Template.Labels[k] != v {
				t.Errorf("spread selector %s=%s does not select the pods (labels %v)", k, v, d.Spec.Template.Labels)
			}
		}
	}
	if !slices.Equal(keys, []string{"kubernetes.io/hostname", "topology.kubernetes.io/zone"}) {
		t.Errorf("spread over %q, want hostname and zone", keys)
	}

	for _, tc := range []struct {
		values string
		want   int
	}{
		{values: `{replicaCount: 1}`, want: 0},
		{values: `{topologySpread: {enabled: false}}`, want: 0},
		{values: `{revisionHistoryLimit: 0, topologySpreadConstraints: [{maxSkew: 2, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app.kubernetes.io/name: dr-syncer}}}]}`, want: 1},
	} {
		d := mustRender(t, "drs", "dr-syncer-system", values(t, tc.values)).deployment(t)
		if got := len(d.Spec.Template.Spec.TopologySpreadConstraints); got != tc.want {
			t.Errorf("%s: %d spread constraints, want %d", tc.values, got, tc.want)
		}
	}
}
