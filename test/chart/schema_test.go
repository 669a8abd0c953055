package chart

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func TestSchemaRejectsBadValues(t *testing.T) {
	for _, tc := range []struct {
		values  string
		wantErr string // part of the path the error must name
	}{
		{`replicaCount: "two"`, "replicaCount"},
		{`replicaCount: -1`, "replicaCount"},
		{`replicaCount: 1.5`, "replicaCount"},
		{`replicaCont: 2`, "replicaCont"},
		{`leaderElection: {enabled: "yes"}`, "leaderElection"},
		{`image: {pullPolicy: Sometimes}`, "pullPolicy"},
		{`image: {repository: ""}`, "repository"},
		{`image: {digest: latest}`, "digest"},
		{`imagePullSecrets: [regcred]`, "imagePullSecrets"},
		{`logFormat: xml`, "logFormat"},
		{`logLevel: verbose`, "logLevel"},
		{`workers: 0`, "workers"},
		{`extraArgs: ["-v=4"]`, "extraArgs"},
		{`extraArgs: "--allow-insecure-tls"`, "extraArgs"},
		{`extraEnv: [{value: x}]`, "extraEnv"},
		{`nodeSelector: {disk: 1}`, "nodeSelector"},
		{`tolerations: [infra]`, "tolerations"},
		{`podDisruptionBudget: {minAvailable: half}`, "minAvailable"},
		{`crds: {enabled: true, keep: true, install: true}`, "install"},
		{`rbac: {sourceReadRules: [{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}]}`, "sourceReadRules"},
		{`rbac: {sourceReadRules: [{apiGroups: ["*"], resources: ["*"], verbs: ["delete"]}]}`, "sourceReadRules"},
		{`rbac: {sourceReadRules: [{apiGroups: ["*"], resources: ["*"]}]}`, "sourceReadRules"},
		{`metrics: {serviceMonitor: {interval: soon}}`, "interval"},
		{`prometheusRule: {rpoFactor: 0.5}`, "rpoFactor"},
		{`prometheusRule: {rpoFactor: "3"}`, "rpoFactor"},
		{`grafana: {dashboard: {labels: {grafana_dashboard: 1}}}`, "grafana_dashboard"},
	} {
		t.Run(tc.values, func(t *testing.T) {
			_, err := renderChart("drs", "dr-syncer-system", values(t, tc.values))
			if err == nil {
				t.Fatal("the chart accepted the values")
			}
			if !strings.Contains(err.Error(), "schema") || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q is not a schema error naming %q", err, tc.wantErr)
			}
		})
	}
}

func TestSchemaAcceptsGoodValues(t *testing.T) {
	for _, v := range []string{
		``,
		everythingEnabled,
		`logLevel: 4`,
		`{prometheusRule: {rpoFactor: 1.5}, podDisruptionBudget: {minAvailable: 2}, metrics: {serviceMonitor: {interval: 1m30s}}}`,
		`global: {imageRegistry: example.com}`, // values an umbrella chart hands to every subchart
	} {
		if _, err := renderChart("drs", "dr-syncer-system", values(t, v)); err != nil {
			t.Errorf("values %q: %v", v, err)
		}
	}
}

// TestSchemaTypesEveryValue walks values.yaml and checks that the schema declares every key with a
// type, down to the chart's own objects (Kubernetes objects such as resources stay open).
func TestSchemaTypesEveryValue(t *testing.T) {
	defaults := defaultValues(t)
	raw, err := os.ReadFile(filepath.Join(chartDir, "values.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	root := map[string]any{}
	if err := json.Unmarshal(raw, &root); err != nil {
		t.Fatal(err)
	}
	if root["$schema"] != "http://json-schema.org/draft-07/schema#" {
		t.Errorf("$schema = %v, want draft-07", root["$schema"])
	}

	var walk func(path string, value any, schema map[string]any)
	walk = func(path string, value any, schema map[string]any) {
		if _, typed := schema["type"]; !typed {
			if _, oneOf := schema["oneOf"]; !oneOf {
				t.Errorf("%s: the schema gives no type", path)
			}
		}
		if _, ok := schema["description"]; !ok && path != "" {
			t.Errorf("%s: the schema gives no description", path)
		}
		obj, isObj := value.(map[string]any)
		props, hasProps := schema["properties"].(map[string]any)
		if !isObj || !hasProps {
			return
		}
		if schema["additionalProperties"] != false {
			t.Errorf("%s: the schema accepts unknown keys", path)
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			sub, ok := props[k].(map[string]any)
			if !ok {
				t.Errorf("%s.%s: not in the schema", path, k)
				continue
			}
			walk(path+"."+k, obj[k], sub)
		}
		for k := range props {
			if _, ok := obj[k]; !ok && !(path == "" && k == "global") {
				t.Errorf("%s.%s: in the schema but not in values.yaml", path, k)
			}
		}
	}
	walk("", defaults, root)
}
