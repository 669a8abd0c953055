package chart

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	kubefake "helm.sh/helm/v3/pkg/kube/fake"
	"helm.sh/helm/v3/pkg/storage"
	"helm.sh/helm/v3/pkg/storage/driver"
)

// TestMonitoringKindsCheckedOneByOne: a cluster can serve monitoring.coreos.com/v1 with only
// some of prometheus-operator's CRDs (ServiceMonitor without PrometheusRule, as some managed
// Prometheus offerings and partial CRD installs do). The chart must not render a PrometheusRule
// there: the install would fail with "no matches for kind PrometheusRule".
func TestMonitoringKindsCheckedOneByOne(t *testing.T) {
	const enabled = `{metrics: {serviceMonitor: {enabled: true}}, prometheusRule: {enabled: true}}`
	onlySM, err := renderChartFor("drs", "dr-syncer-system", values(t, enabled),
		[]string{"monitoring.coreos.com/v1", "monitoring.coreos.com/v1/ServiceMonitor"})
	if err != nil {
		t.Fatal(err)
	}
	if n := onlySM.count("PrometheusRule"); n != 0 {
		t.Errorf("only ServiceMonitor served: %d PrometheusRules rendered, want 0 (helm install would fail)", n)
	}
	if n := onlySM.count("ServiceMonitor"); n != 1 {
		t.Errorf("only ServiceMonitor served: %d ServiceMonitors rendered, want 1", n)
	}
}

// TestUpgradeFromPreviousChartWithReuseValues follows README.md's upgrade command,
// `helm upgrade ... --reset-then-reuse-values` (--reuse-values failed), from the chart as it was before this release (the merge's
// first parent) to the current one.
func TestUpgradeFromPreviousChartWithReuseValues(t *testing.T) {
	oldChart := previousChart(t, t.TempDir())
	// A fresh copy: the upgrade replaces the chart's values, which must not leak into the shared one.
	newChart, err := loader.Load(chartDir)
	if err != nil {
		t.Fatal(err)
	}
	kv, err := chartutil.ParseKubeVersion(kubeVersion)
	if err != nil {
		t.Fatal(err)
	}
	caps := chartutil.DefaultCapabilities.Copy()
	caps.KubeVersion = *kv
	cfg := &action.Configuration{
		Releases:     storage.Init(driver.NewMemory()),
		KubeClient:   &kubefake.PrintingKubeClient{Out: io.Discard},
		Capabilities: caps,
		Log:          func(string, ...any) {},
	}
	install := action.NewInstall(cfg)
	install.ReleaseName, install.Namespace = "dr-syncer", "dr-syncer-system"
	if _, err := install.Run(oldChart, map[string]any{}); err != nil {
		t.Fatalf("installing the previous chart: %v", err)
	}
	upgrade := action.NewUpgrade(cfg)
	upgrade.Namespace = "dr-syncer-system"
	upgrade.ResetThenReuseValues = true
	if _, err := upgrade.Run("dr-syncer", newChart, map[string]any{}); err != nil {
		t.Errorf("helm upgrade --reset-then-reuse-values (README.md, Upgrade) from the previous chart: %v", err)
	}
	// --reuse-values fails on values the new chart adds: the docs must not recommend it.
	for _, doc := range []string{"README.md", "docs/helm.md"} {
		raw, err := os.ReadFile(filepath.Join("..", "..", doc))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(raw), "\n") {
			if strings.Contains(line, "helm upgrade") && strings.Contains(line, "--reuse-values") {
				t.Errorf("%s recommends --reuse-values: %s", doc, line)
			}
		}
	}
}

// TestClusterScopedNamesDoNotCollide: <namespace>-<fullname> is ambiguous. Release "dr-syncer" in
// namespace "a-b" and release "b-dr-syncer" in namespace "a" both name their ClusterRoles
// "a-b-dr-syncer-controller": the second `helm install` fails on ownership, or, applied without
// Helm, one ClusterRoleBinding takes over the other's.
func TestClusterScopedNamesDoNotCollide(t *testing.T) {
	one := mustRender(t, "dr-syncer", "a-b", values(t, `crds: {enabled: false}`))
	two := mustRender(t, "b-dr-syncer", "a", values(t, `crds: {enabled: false}`))
	for name := range clusterScoped(two) {
		if clusterScoped(one)[name] {
			t.Errorf("%s is rendered by release dr-syncer in namespace a-b and by release b-dr-syncer in namespace a", name)
		}
	}
}

// previousChart loads the chart as it was before release-qualified names (the first parent of
// a1cbc72), extracted from git history into dir. A clone without that history skips the test.
func previousChart(t *testing.T, dir string) *chart.Chart {
	t.Helper()
	archive := exec.Command("sh", "-c", "git archive a1cbc72^1 charts/dr-syncer | tar -x -C "+dir)
	archive.Dir = filepath.Join("..", "..")
	if out, err := archive.CombinedOutput(); err != nil {
		t.Skipf("previous chart not available from git: %v\n%s", err, out)
	}
	c, err := loader.Load(filepath.Join(dir, "charts", "dr-syncer"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}
