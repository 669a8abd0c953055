package chart

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestDocsListEveryValue fails when the chart's README, generated from values.yaml by helm-docs
// (`make generate`), misses a value: a value without a `# --` comment is left out of it.
func TestDocsListEveryValue(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(chartDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	defaults := defaultValues(t)
	// Kubernetes objects and free-form maps are documented as a whole, not key by key.
	whole := map[string]bool{
		"resources": true, "securityContext": true, "containerSecurityContext": true, "nodeSelector": true,
		"affinity": true, "podAnnotations": true, "podLabels": true, "serviceAccount.annotations": true,
		"metrics.serviceMonitor.labels": true, "prometheusRule.labels": true,
		"grafana.dashboard.labels": true, "grafana.dashboard.annotations": true,
	}
	var paths []string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		m, ok := v.(map[string]any)
		if !ok || whole[prefix] {
			paths = append(paths, prefix)
			return
		}
		for k, sub := range m {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			walk(p, sub)
		}
	}
	walk("", defaults)
	sort.Strings(paths)
	for _, p := range paths {
		if !strings.Contains(string(doc), "\n| "+p+" | ") {
			t.Errorf("charts/dr-syncer/README.md has no row for %s: give it a `# -- ` comment in values.yaml and run make generate", p)
		}
	}
}
