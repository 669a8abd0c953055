package chart

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestDocsListEveryValue fails when docs/helm.md's values table misses a value of values.yaml.
func TestDocsListEveryValue(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "helm.md"))
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
		if !strings.Contains(string(doc), "| `"+p+"` |") {
			t.Errorf("docs/helm.md has no row for `%s`", p)
		}
	}
}
