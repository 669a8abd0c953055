package cli_test

import (
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestKubectlClusterFlags: each side takes kubectl's flags under its prefix: a context whose
// cluster and user are overridden (--dest-cluster, --dest-user) reaches the overriding cluster,
// and a request timeout (--source-request-timeout) is a duration.
func TestKubectlClusterFlags(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(g, prod, "flags")
	create(g, prod, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "settings", Namespace: ns}})
	r := drSyncer(t, "plan", "--source-kubeconfig", kubeconfigs["both"], "--source-context", "prod", "--source-request-timeout", "20s",
		"--dest-kubeconfig", kubeconfigs["both"], "--dest-context", "prod", "--dest-cluster", "dr", "--dest-user", "dr",
		"--source-namespace", ns)
	g.Expect(r.Code).To(Equal(2), "%s", r)
	g.Expect(row(r.Stdout, "create", "ConfigMap", "settings")).To(BeTrue(), "%s", r)

	r = drSyncer(t, append([]string{"plan", "--source-request-timeout", "soon"}, flagForm(ns)...)...)
	g.Expect(r.Code).To(Equal(1), "%s", r)
	g.Expect(r.Err.Error()).To(ContainSubstring(`--source-request-timeout "soon": want a duration such as 30s`))
}

// TestShellCompletion: contexts come from the kubeconfig the command line names, mappings from
// the controller's cluster, output formats from the printers.
func TestShellCompletion(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(g, prod, "complete")
	mapping(g, ns, ns)

	for _, flag := range []string{"--source-context", "--dest-context"} {
		r := drSyncer(t, "__complete", "plan", "--source-kubeconfig", kubeconfigs["both"], "--dest-kubeconfig", kubeconfigs["both"], flag, "")
		g.Expect(r.Code).To(Equal(0), "%s", r)
		g.Expect(lines(r.Stdout, "")).To(HaveExactElements("dr", "prod", ":4", ""), "%s", r)
	}
	r := drSyncer(t, "__complete", "status", "--kubeconfig", kubeconfigs["both"], "--context", "")
	g.Expect(lines(r.Stdout, "")).To(HaveExactElements("dr", "prod", ":4", ""), "%s", r)

	r = drSyncer(t, "__complete", "cutover", "--kubeconfig", kubeconfigs["prod"], "--mapping", "")
	g.Expect(r.Code).To(Equal(0), "%s", r)
	g.Expect(lines(r.Stdout, "")).To(ContainElements(controllerNS+"/"+ns, ":4"), "%s", r)

	r = drSyncer(t, "__complete", "trigger", "--kubeconfig", kubeconfigs["prod"], "")
	g.Expect(r.Code).To(Equal(0), "%s", r)
	g.Expect(lines(r.Stdout, "")).To(ContainElements(ns, ":4"), "%s", r)

	r = drSyncer(t, "__complete", "sync", "--conflict-policy", "")
	g.Expect(lines(r.Stdout, "")).To(HaveExactElements("Skip", "Adopt", ":4", ""), "%s", r)

	r = drSyncer(t, "completion", "bash")
	g.Expect(r.Code).To(Equal(0), "%s", r)
	g.Expect(r.Stdout).To(ContainSubstring("__start_dr-syncer"))

	for _, cmd := range []string{"status", "plan", "sync"} {
		r = drSyncer(t, "__complete", cmd, "-o", "")
		g.Expect(r.Code).To(Equal(0), "%s", r)
		g.Expect(lines(r.Stdout, "")).To(ContainElements("table", "wide", "json", "yaml", "name", "jsonpath=", "go-template=", ":6"), "%s %s", cmd, r)
	}
}

// TestPlanPrinters: plan takes kubectl's -o values and --no-headers; the exit status stays the
// plan's.
func TestPlanPrinters(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(g, prod, "printers")
	create(g, prod, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "settings", Namespace: ns}})
	plan := func(args ...string) result {
		r := drSyncer(t, append(append([]string{"plan"}, flagForm(ns)...), args...)...)
		g.Expect(r.Code).To(Equal(2), "%s", r)
		return r
	}
	g.Expect(plan("-o", "name").Stdout).To(Equal("configmap/settings\nnamespace/" + ns + "\n"))
	r := plan("-o", "wide")
	g.Expect(strings.Fields(lines(r.Stdout, "ACTION")[0])).To(Equal([]string{"ACTION", "KIND", "NAME", "STANDBY", "APIVERSION", "REASON", "DETAILS"}))
	g.Expect(strings.Fields(lines(r.Stdout, "settings")[0])).To(Equal([]string{"create", "ConfigMap", "settings", "-", "v1", "-"}))
	g.Expect(r.Stdout).To(ContainSubstring("Plan: 1 to create"))
	r = plan("--no-headers")
	g.Expect(r.Stdout).NotTo(ContainSubstring("ACTION"))
	g.Expect(r.Stdout).NotTo(ContainSubstring("Plan:"))
	g.Expect(lines(r.Stdout, "create")).To(HaveLen(2), "%s", r)
	g.Expect(plan("-o", "jsonpath={.summary.created}").Stdout).To(Equal("1"))
	g.Expect(plan("-o", `go-template={{range .actions}}{{.action}} {{.kind}}/{{.name}};{{end}}`).Stdout).
		To(Equal("create ConfigMap/settings;create Namespace/" + ns + ";"))
}
