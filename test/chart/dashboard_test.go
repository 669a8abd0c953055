package chart

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// metricNames are the metrics the controller exports; alerts and panels may use no other.
var metricNames = []string{
	"drsyncer_namespacemapping_last_success_timestamp_seconds",
	"drsyncer_namespacemapping_schedule_interval_seconds",
	"drsyncer_namespacemapping_ready",
	"drsyncer_namespacemapping_live",
	"drsyncer_sync_runs_total",
	"drsyncer_sync_duration_seconds",
	"drsyncer_objects_applied_total",
	"drsyncer_propagation_lag_seconds",
	"drsyncer_drift_corrections_total",
	"drsyncer_prune_blocked",
	"drsyncer_remotecluster_ready",
	"drsyncer_remotecluster_probe_duration_seconds",
}

type dashboard struct {
	UID    string
	Panels []struct {
		Title   string
		Type    string
		Targets []struct{ Expr string }
	}
}

func TestGrafanaDashboard(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(chartDir, "dashboards", "dr-syncer.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}

	// Every query uses only metrics the controller exports.
	exprs := map[string]string{} // title -> joined expressions
	for _, p := range d.Panels {
		for _, target := range p.Targets {
			exprs[p.Title] += target.Expr + "\n"
			for _, name := range metricsIn(target.Expr) {
				if !slices.Contains(metricNames, strings.TrimSuffix(name, "_bucket")) {
					t.Errorf("panel %q queries %s, which the controller does not export", p.Title, name)
				}
			}
		}
	}
	// The panels an operator needs, each on the right metric.
	for title, metric := range map[string]string{
		"Sync rate":                            "rate(drsyncer_sync_runs_total",
		"Propagation lag p99":                  "histogram_quantile(0.99, sum by (le, mapping) (rate(drsyncer_propagation_lag_seconds_bucket",
		"Recovery point age (RPO) per mapping": "time() - max by (mapping) (drsyncer_namespacemapping_last_success_timestamp_seconds",
		"Failed syncs":                         `result!="success"`,
		"Failed objects":                       `drsyncer_objects_applied_total{mapping=~"$mapping",action="failed"}`,
		"Remote cluster health":                "drsyncer_remotecluster_ready",
		"Remote cluster probe duration p99":    "drsyncer_remotecluster_probe_duration_seconds_bucket",
	} {
		if !strings.Contains(exprs[title], metric) {
			t.Errorf("panel %q: queries %q, want %q", title, exprs[title], metric)
		}
	}

	// The chart ships it unchanged in a ConfigMap the Grafana sidecar picks up.
	r := mustRender(t, "drs", "dr-syncer-system", values(t, `grafana: {dashboard: {enabled: true}}`))
	cm := r.find(t, "ConfigMap", "-dashboard")
	if cm == nil {
		t.Fatal("no dashboard ConfigMap")
	}
	if cm.GetLabels()["grafana_dashboard"] != "1" {
		t.Errorf("ConfigMap labels = %v, want grafana_dashboard: \"1\"", cm.GetLabels())
	}
	data, _, _ := unstructured.NestedString(cm.Object, "data", "dr-syncer.json")
	if strings.TrimSpace(data) != strings.TrimSpace(string(raw)) {
		t.Error("the ConfigMap's dashboard differs from dashboards/dr-syncer.json")
	}
}

func TestAlertsUseExportedMetrics(t *testing.T) {
	r := mustRender(t, "drs", "dr-syncer-system", values(t, `prometheusRule: {enabled: true}`))
	pr := r.find(t, "PrometheusRule", "")
	raw, err := json.Marshal(pr.Object["spec"])
	if err != nil {
		t.Fatal(err)
	}
	names := metricsIn(string(raw))
	if len(names) == 0 {
		t.Fatal("the alerts use no drsyncer_ metric")
	}
	for _, name := range names {
		if !slices.Contains(metricNames, name) {
			t.Errorf("an alert uses %s, which the controller does not export", name)
		}
	}
}

// metricsIn returns the drsyncer_ metric names a PromQL text mentions.
func metricsIn(text string) []string {
	var out []string
	for _, word := range strings.FieldsFunc(text, func(r rune) bool {
		return r != '_' && (r < 'a' || r > 'z') && (r < '0' || r > '9')
	}) {
		if strings.HasPrefix(word, "drsyncer_") {
			out = append(out, word)
		}
	}
	return out
}
