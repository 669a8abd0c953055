package integration

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"sync"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/testbed"
)

// The bad-input catalog: inputs a person can get wrong, each with the exact message dr-syncer
// answers with. Each row is a test on the API server of this package; together they are the
// table in docs/reliability.md (TestReliabilityDocCatalog keeps it current; -update rewrites it).

var update = flag.Bool("update", false, "rewrite the bad-input catalog in docs/reliability.md")

// specCase is a spec the API server refuses: the message is the admission error after
// "<kind> \"<name>\" is invalid: ".
type specCase struct {
	name    string
	kind    string
	mutate  []mutation
	message string
}

var admissionCases = []specCase{
	// RemoteCluster
	{"missing kubeconfigSecretRef", "RemoteCluster", []mutation{set("kubeconfigSecretRef", nil)}, "[spec.kubeconfigSecretRef: Required value, <nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation]"},
	{"missing kubeconfigSecretRef.name", "RemoteCluster", []mutation{set("kubeconfigSecretRef.name", nil)}, "[spec.kubeconfigSecretRef.name: Required value, <nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation]"},
	{"secret name not DNS", "RemoteCluster", []mutation{set("kubeconfigSecretRef.name", "Prod_Kubeconfig")}, "spec.kubeconfigSecretRef.name: Invalid value: \"Prod_Kubeconfig\": name must be a DNS-1123 subdomain: lower-case letters, digits, '-' and '.'"},
	{"secret key with spaces", "RemoteCluster", []mutation{set("kubeconfigSecretRef.key", "kube config")}, "spec.kubeconfigSecretRef.key: Invalid value: \"kube config\": key must consist of letters, digits, '-', '_' or '.'"},
	{"qps 0", "RemoteCluster", []mutation{set("qps", int64(0))}, "spec.qps: Invalid value: 0: spec.qps in body should be greater than or equal to 1"},
	{"burst 0", "RemoteCluster", []mutation{set("burst", int64(0))}, "spec.burst: Invalid value: 0: spec.burst in body should be greater than or equal to 1"},
	{"burst too high", "RemoteCluster", []mutation{set("burst", int64(20001))}, "spec.burst: Invalid value: 20001: spec.burst in body should be less than or equal to 20000"},
	{"healthCheckInterval 5s", "RemoteCluster", []mutation{set("healthCheckInterval", "5s")}, "spec.healthCheckInterval: Invalid value: \"5s\": healthCheckInterval must be at least 10s"},

	// NamespaceMapping
	{"missing destinationCluster", "NamespaceMapping", []mutation{set("destinationCluster", nil)}, "[spec.destinationCluster: Required value, <nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation]"},
	{"missing sourceNamespace", "NamespaceMapping", []mutation{set("sourceNamespace", nil)}, "[spec.sourceNamespace: Required value, <nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation]"},
	{"destinationCluster not DNS", "NamespaceMapping", []mutation{set("destinationCluster", "DR_Cluster")}, "spec.destinationCluster: Invalid value: \"DR_Cluster\": destinationCluster must be the name of a RemoteCluster (DNS-1123 subdomain)"},
	{"sourceCluster not DNS", "NamespaceMapping", []mutation{set("sourceCluster", "prod.")}, "spec.sourceCluster: Invalid value: \"prod.\": sourceCluster must be the name of a RemoteCluster (DNS-1123 subdomain)"},
	{"sourceNamespace not DNS", "NamespaceMapping", []mutation{set("sourceNamespace", "Shop.Front")}, "spec.sourceNamespace: Invalid value: \"Shop.Front\": sourceNamespace must be a DNS-1123 label: lower-case letters, digits and '-', at most 63 characters"},
	{"destinationNamespace too long", "NamespaceMapping", []mutation{set("destinationNamespace", strings.Repeat("a", 64))}, "[spec.destinationNamespace: Too long: may not be more than 63 bytes, <nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation]"},
	{"bad replicationMode", "NamespaceMapping", []mutation{set("replicationMode", "Sometimes")}, "[spec.replicationMode: Unsupported value: \"Sometimes\": supported values: \"Scheduled\", \"Continuous\", \"Manual\", <nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation]"},
	{"bad conflictPolicy", "NamespaceMapping", []mutation{set("conflictPolicy", "Overwrite")}, "[spec.conflictPolicy: Unsupported value: \"Overwrite\": supported values: \"Skip\", \"Adopt\", <nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation]"},
	{"bad immutableFieldPolicy", "NamespaceMapping", []mutation{set("immutableFieldPolicy", "Force")}, "[spec.immutableFieldPolicy: Unsupported value: \"Force\": supported values: \"Skip\", \"Recreate\", <nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation]"},
	{"bad deletionPolicy", "NamespaceMapping", []mutation{set("deletionPolicy", "Orphan")}, "[spec.deletionPolicy: Unsupported value: \"Orphan\": supported values: \"Retain\", \"Delete\", <nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation]"},
	{"maxDeletePercent 101", "NamespaceMapping", []mutation{set("prune.maxDeletePercent", int64(101))}, "spec.prune.maxDeletePercent: Invalid value: 101: spec.prune.maxDeletePercent in body should be less than or equal to 100"},
	{"maxDeletePercent -1", "NamespaceMapping", []mutation{set("prune.maxDeletePercent", int64(-1))}, "spec.prune.maxDeletePercent: Invalid value: -1: spec.prune.maxDeletePercent in body should be greater than or equal to 0"},
	{"resyncInterval 10s", "NamespaceMapping", []mutation{set("replicationMode", "Continuous"), set("continuous.resyncInterval", "10s")}, "spec.continuous.resyncInterval: Invalid value: \"10s\": continuous.resyncInterval must be at least 30s"},
	{"namespace mapped onto itself", "NamespaceMapping", []mutation{set("sourceCluster", "dr")}, "spec: Invalid value: a namespace cannot be mapped onto itself in the same cluster: change destinationNamespace or destinationCluster"},
	{"namespace mapped onto itself explicitly", "NamespaceMapping", []mutation{set("sourceCluster", "dr"), set("destinationNamespace", "shop")}, "spec: Invalid value: a namespace cannot be mapped onto itself in the same cluster: change destinationNamespace or destinationCluster"},
	{"schedule with Continuous", "NamespaceMapping", []mutation{set("replicationMode", "Continuous"), set("schedule", "*/5 * * * *")}, "spec: Invalid value: schedule is only used with replicationMode Scheduled: remove it or set replicationMode: Scheduled"},
	{"3-field schedule", "NamespaceMapping", []mutation{set("schedule", "*/5 * *")}, "spec.schedule: Invalid value: \"*/5 * *\": schedule must have 5 fields (minute hour day-of-month month day-of-week) or be a descriptor such as @hourly or @every 10m"},
	{"negative @every", "NamespaceMapping", []mutation{set("schedule", "@every -5m")}, "spec.schedule: Invalid value: \"@every -5m\": schedule @every takes one duration of at least 1m, such as @every 5m or @every 1h30m: dr-syncer syncs at most once a minute"},
	{"@every 30s", "NamespaceMapping", []mutation{set("schedule", "@every 30s")}, "spec.schedule: Invalid value: \"@every 30s\": schedule @every takes one duration of at least 1m, such as @every 5m or @every 1h30m: dr-syncer syncs at most once a minute"},
	{"@every without a duration", "NamespaceMapping", []mutation{set("schedule", "@every")}, "spec.schedule: Invalid value: \"@every\": schedule @every takes one duration of at least 1m, such as @every 5m or @every 1h30m: dr-syncer syncs at most once a minute"},
	{"@every not a duration", "NamespaceMapping", []mutation{set("schedule", "@every 5 minutes")}, "spec.schedule: Invalid value: \"@every 5 minutes\": schedule @every takes one duration of at least 1m, such as @every 5m or @every 1h30m: dr-syncer syncs at most once a minute"},
	{"bad timeZone", "NamespaceMapping", []mutation{set("timeZone", "Europe/Berlin; rm -rf")}, "spec.timeZone: Invalid value: \"Europe/Berlin; rm -rf\": timeZone must be an IANA time zone name such as UTC or Europe/Berlin"},
	{"resourceTypes item with spaces", "NamespaceMapping", []mutation{set("resourceTypes", []any{"config maps"})}, "spec.resourceTypes[0]: Invalid value: \"config maps\": spec.resourceTypes[0] in body should match '^(\\*|[A-Za-z0-9][-A-Za-z0-9.]*)$'"},
	{"empty resourceTypes", "NamespaceMapping", []mutation{set("resourceTypes", []any{})}, "spec.resourceTypes: Invalid value: 0: spec.resourceTypes in body should have at least 1 items"},
	{"bad accessMode", "NamespaceMapping", []mutation{set("pvcConfig.accessModeMappings", []any{map[string]any{"from": "ReadWriteOnce", "to": "RWX"}})}, "[spec.pvcConfig.accessModeMappings[0].to: Unsupported value: \"RWX\": supported values: \"ReadWriteOnce\", \"ReadOnlyMany\", \"ReadWriteMany\", \"ReadWriteOncePod\", <nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation]"},

	// Odd types, null and huge values, duplicates, invalid UTF-8.
	{"qps of the wrong type", "RemoteCluster", []mutation{set("qps", "fast")}, "[spec.qps: Invalid value: \"string\": spec.qps in body must be of type integer: \"string\", <nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation]"},
	{"healthCheckInterval not a duration", "RemoteCluster", []mutation{set("healthCheckInterval", "often")}, "spec.healthCheckInterval: Invalid value: \"string\": type conversion error from 'string' to 'google.protobuf.Duration' evaluating rule: healthCheckInterval must be at least 10s"},
	{"kubeconfigSecretRef a string", "RemoteCluster", []mutation{set("kubeconfigSecretRef", "prod-kubeconfig")}, "[spec.kubeconfigSecretRef: Invalid value: \"string\": spec.kubeconfigSecretRef in body must be of type object: \"string\", <nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation]"},
	{"labelSelector a string", "NamespaceMapping", []mutation{set("labelSelector", "app=web")}, "[spec.labelSelector: Invalid value: \"string\": spec.labelSelector in body must be of type object: \"string\", <nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation]"},
	{"duplicate resourceTypes", "NamespaceMapping", []mutation{set("resourceTypes", []any{"configmaps", "configmaps"})}, "spec.resourceTypes[1]: Duplicate value: \"configmaps\""},
	{"129 resourceTypes", "NamespaceMapping", []mutation{set("resourceTypes", manyTypes(129))}, "[spec.resourceTypes: Too many: 129: must have at most 128 items, <nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation]"},
	{"resourceTypes item of 254 characters", "NamespaceMapping", []mutation{set("resourceTypes", []any{strings.Repeat("a", 254)})}, "[spec.resourceTypes[0]: Too long: may not be more than 253 bytes, <nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation]"},
	{"schedule of 129 characters", "NamespaceMapping", []mutation{set("schedule", "0 0 * * *"+strings.Repeat(" ", 120))}, "[spec.schedule: Too long: may not be more than 128 bytes, <nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation]"},
	{"empty destinationCluster", "NamespaceMapping", []mutation{set("destinationCluster", "")}, "[spec.destinationCluster: Invalid value: \"\": spec.destinationCluster in body should be at least 1 chars long, spec.destinationCluster: Invalid value: \"\": destinationCluster must be the name of a RemoteCluster (DNS-1123 subdomain)]"},
	{"sourceNamespace with invalid UTF-8", "NamespaceMapping", []mutation{set("sourceNamespace", "shop\xff")}, "spec.sourceNamespace: Invalid value: \"shop�\": sourceNamespace must be a DNS-1123 label: lower-case letters, digits and '-', at most 63 characters"},
	{"timeZone with a space", "NamespaceMapping", []mutation{set("timeZone", "Europe/Berlin ")}, "spec.timeZone: Invalid value: \"Europe/Berlin \": timeZone must be an IANA time zone name such as UTC or Europe/Berlin"},
	{"syncOwnedBy kind lower-case", "NamespaceMapping", []mutation{set("syncOwnedBy", []any{map[string]any{"group": "example.com", "kind": "generator"}})}, "spec.syncOwnedBy[0].kind: Invalid value: \"generator\": kind must be a Kind such as Certificate: a capital letter, then letters and digits"},
	{"syncOwnedBy group not DNS", "NamespaceMapping", []mutation{set("syncOwnedBy", []any{map[string]any{"group": "Example_Com", "kind": "Generator"}})}, "spec.syncOwnedBy[0].group: Invalid value: \"Example_Com\": group must be an API group such as cert-manager.io (DNS-1123 subdomain), or empty for the core group"},
	{"syncOwnedBy without kind", "NamespaceMapping", []mutation{set("syncOwnedBy", []any{map[string]any{"group": "example.com"}})}, "[spec.syncOwnedBy[0].kind: Required value, <nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation]"},
	{"syncOwnedBy twice the same kind", "NamespaceMapping", []mutation{set("syncOwnedBy", []any{map[string]any{"kind": "ServiceAccount"}, map[string]any{"group": "", "kind": "ServiceAccount"}})}, "spec.syncOwnedBy: Invalid value: syncOwnedBy must name each owner kind (group and kind) once"},
	{"unknown schedule descriptor", "NamespaceMapping", []mutation{set("schedule", "@reboot")}, "spec.schedule: Invalid value: \"@reboot\": schedule descriptor must be one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly or @every <duration>"},
	{"scaleToZero a string", "NamespaceMapping", []mutation{set("scaleToZero", "yes")}, "[spec.scaleToZero: Invalid value: \"string\": spec.scaleToZero in body must be of type boolean: \"string\", <nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation]"},
}

// manyTypes is n distinct resource type names.
func manyTypes(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = fmt.Sprintf("type%d", i)
	}
	return out
}

// stalledCase is a NamespaceMapping the API server admits but the controller cannot work with:
// the message is the Stalled condition's.
type stalledCase struct {
	name    string
	mutate  []mutation
	message string
}

var stalledCases = []stalledCase{
	{"unknown time zone", []mutation{set("replicationMode", "Scheduled"), set("timeZone", "Mars/Olympus_Mons")}, "spec.timeZone \"Mars/Olympus_Mons\" is not a known IANA time zone: unknown time zone Mars/Olympus_Mons"},
	{"schedule minute out of range", []mutation{set("replicationMode", "Scheduled"), set("schedule", "61 * * * *")}, "spec.schedule \"61 * * * *\": end of range (61) above maximum (59): 61"},
	{"labelSelector with an unknown operator", []mutation{set("labelSelector", map[string]any{"matchExpressions": []any{map[string]any{"key": "app", "operator": "Maybe", "values": []any{"web"}}}})}, "spec.labelSelector: \"Maybe\" is not a valid label selector operator"},
	{"labelSelector with an invalid key", []mutation{set("labelSelector", map[string]any{"matchLabels": map[string]any{"app/": "web"}})}, "spec.labelSelector: key: Invalid value: \"app/\": name part must be non-empty; name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"},
}

// TestStalledSpecs: specs that pass admission and that the controller refuses, with a Stalled
// condition that says why.
func TestStalledSpecs(t *testing.T) {
	t.Parallel()
	target := catalogRemoteCluster(t)
	for _, tt := range stalledCases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			spec := validMapping()
			set("sourceCluster", nil).apply(spec)
			set("destinationCluster", target).apply(spec)
			set("replicationMode", "Continuous").apply(spec)
			for _, m := range tt.mutate {
				m.apply(spec)
			}
			u := &unstructured.Unstructured{Object: map[string]any{"spec": spec}}
			u.SetAPIVersion(drv1.GroupVersion.String())
			u.SetKind("NamespaceMapping")
			u.SetNamespace(controllerNamespace)
			u.SetName(uniqueName("stalled"))
			g := NewWithT(t)
			g.Expect(k8s.Create(context.Background(), u)).To(Succeed())
			t.Cleanup(func() { _ = client.IgnoreNotFound(k8s.Delete(context.Background(), u)) })
			var c *metav1.Condition
			g.Eventually(func(g Gomega) {
				m := &drv1.NamespaceMapping{}
				g.Expect(k8s.Get(context.Background(), client.ObjectKeyFromObject(u), m)).To(Succeed())
				c = meta.FindStatusCondition(m.Status.Conditions, drv1.ConditionStalled)
				g.Expect(c).NotTo(BeNil(), "conditions: %+v", m.Status.Conditions)
			}).WithTimeout(waitTimeout).WithPolling(poll).Should(Succeed())
			t.Logf("CATALOG %q %q", tt.name, c.Message)
			g.Expect(c.Message).To(Equal(tt.message))
		})
	}
}

var catalogRC struct {
	once sync.Once
	name string
}

// catalogRemoteCluster registers control plane b once, for mappings that must get past the
// cluster checks.
func catalogRemoteCluster(t *testing.T) string {
	catalogRC.once.Do(func() {
		catalogRC.name = "catalog-b"
		createSecret(t, controllerNamespace, catalogRC.name, map[string][]byte{"kubeconfig": planeB.Kubeconfig})
		createRemoteCluster(t, controllerNamespace, catalogRC.name, catalogRC.name)
		eventuallyReady(t, catalogRC.name, metav1.ConditionTrue, drv1.ReasonConnected)
	})
	return catalogRC.name
}

// catalogMarkdown renders the catalog as the table of docs/reliability.md.
func catalogMarkdown(t *testing.T) string {
	var b strings.Builder
	b.WriteString("| # | Input | Case | What dr-syncer answers | Where |\n|---|---|---|---|---|\n")
	n := 0
	row := func(input, name, msg, where string) {
		n++
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s |\n", n, input, name, cell(msg), where)
	}
	for _, c := range admissionCases {
		row(c.kind+" "+mutations(c.mutate), c.name, c.message, "admission error")
	}
	for _, c := range stalledCases {
		row("NamespaceMapping "+mutations(c.mutate), c.name, c.message, "NamespaceMapping `Stalled` condition")
	}
	for _, c := range kubeconfigCases(t) {
		row(c.input, c.name, c.message, "RemoteCluster `Ready` condition, reason `"+c.reason+"`")
	}
	return b.String()
}

func mutations(ms []mutation) string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.String()
	}
	return strings.Join(out, ", ")
}

// cell makes text safe inside a markdown table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", "\\|")
	s = strings.ReplaceAll(s, "\n", " ")
	return "`" + strings.ReplaceAll(s, "`", "'") + "`"
}

// TestReliabilityDocCatalog fails when the catalog in docs/reliability.md is not the one these
// tests check; -update rewrites it.
func TestReliabilityDocCatalog(t *testing.T) {
	want := catalogMarkdown(t)
	if rows := strings.Count(want, "\n") - 2; rows < 40 {
		t.Errorf("the catalog has %d rows; it promises at least 40", rows)
	}
	if err := testbed.DocSection("../../docs/reliability.md", "bad-input catalog", want, *update,
		"go test ./test/integration -run TestReliabilityDocCatalog -update"); err != nil {
		t.Fatal(err)
	}
}
