package cli_test

import (
	"net"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/dr-syncer/dr-syncer/internal/cli"
)

// TestEveryCommandHasHelpWithExample: every command explains itself and shows an example.
func TestEveryCommandHasHelpWithExample(t *testing.T) {
	g := NewWithT(t)
	names := map[string]bool{}
	for _, c := range cli.NewRootCommand().Commands() {
		if c.Name() == "help" || c.Name() == "completion" {
			continue
		}
		names[c.Name()] = true
		g.Expect(c.Short).NotTo(BeEmpty(), c.Name())
		g.Expect(c.Example).NotTo(BeEmpty(), c.Name())
		r := drSyncer(t, c.Name(), "--help")
		g.Expect(r.Code).To(Equal(0), "%s", r)
		g.Expect(r.Stdout).To(ContainSubstring("Examples:\n  "), c.Name())
		g.Expect(r.Stdout).To(ContainSubstring("dr-syncer "+c.Name()), c.Name())
	}
	for _, want := range []string{"plan", "sync", "cutover", "failback", "drill", "status", "trigger"} {
		g.Expect(names).To(HaveKey(want))
	}
}

// TestErrorsSayWhatToDo: mistakes and outages end in a message that names the cause and the fix.
func TestErrorsSayWhatToDo(t *testing.T) {
	// A kubeconfig whose server does not answer: a port that was free a moment ago.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cfg, err := clientcmd.Load(drTB.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cfg.Clusters {
		c.Server = "https://" + addr
	}
	down := filepath.Join(t.TempDir(), "down.kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, down); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"unreachable destination", []string{"plan", "--source-kubeconfig", kubeconfigs["prod"], "--dest-kubeconfig", down, "--source-namespace", "x"},
			[]string{"the destination cluster does not answer", addr, "check --dest-kubeconfig/--dest-context"}},
		{"unreachable source", []string{"sync", "--source-kubeconfig", down, "--dest-kubeconfig", kubeconfigs["dr"], "--source-namespace", "x"},
			[]string{"the source cluster does not answer", "check --source-kubeconfig/--source-context"}},
		{"unreachable controller cluster", []string{"status", "--kubeconfig", down},
			[]string{"the controller's cluster does not answer", "check --kubeconfig/--context"}},
		{"missing context", []string{"plan", "--source-kubeconfig", kubeconfigs["both"], "--dest-kubeconfig", kubeconfigs["both"], "--dest-context", "staging", "--source-namespace", "x"},
			[]string{`--dest-context "staging": no such context in ` + kubeconfigs["both"] + "; available: dr, prod"}},
		{"missing controller context", []string{"trigger", "shop", "--kubeconfig", kubeconfigs["both"], "--context", "mgmt"},
			[]string{`--context "mgmt": no such context`, "available: dr, prod"}},
		{"missing mapping", []string{"cutover", "--mapping", controllerNS + "/nope", "--kubeconfig", kubeconfigs["prod"]},
			[]string{controllerNS + "/nope does not exist", "dr-syncer status --namespace " + controllerNS}},
		{"missing mapping to trigger", []string{"trigger", "nope", "--kubeconfig", kubeconfigs["prod"]},
			[]string{controllerNS + "/nope does not exist"}},
		{"mapping and spec flags", []string{"sync", "--mapping", controllerNS + "/shop", "--selector", "app=web"},
			[]string{"--selector cannot be combined with --mapping", "edit the mapping, or use the flag form"}},
		{"malformed mapping", []string{"plan", "--mapping", "shop"},
			[]string{`--mapping: "shop": want NAMESPACE/NAME`}},
		{"no namespace", []string{"plan", "--source-kubeconfig", kubeconfigs["prod"], "--dest-kubeconfig", kubeconfigs["dr"]},
			[]string{"--source-namespace is required (or name a NamespaceMapping with --mapping NAMESPACE/NAME)"}},
		{"same namespace twice", []string{"plan", "--source-kubeconfig", kubeconfigs["prod"], "--dest-kubeconfig", kubeconfigs["prod"], "--source-namespace", "x"},
			[]string{"source and destination are the same namespace x of the same cluster", "pass --dest-context"}},
		{"missing source namespace", []string{"plan", "--source-kubeconfig", kubeconfigs["prod"], "--dest-kubeconfig", kubeconfigs["dr"], "--source-namespace", "does-not-exist"},
			[]string{`namespace "does-not-exist" does not exist in cluster`}},
		{"impersonation in DR", append([]string{"plan", "--dest-as", "nobody", "--dest-as-group", "nogroup"}, flagForm("x")...),
			[]string{`User "nobody" cannot`}},
		{"impersonation in the source", append([]string{"sync", "--source-as", "nobody"}, flagForm("x")...),
			[]string{`User "nobody" cannot`}},
		{"impersonation in the controller's cluster", []string{"cutover", "--mapping", controllerNS + "/shop", "--kubeconfig", kubeconfigs["prod"], "--as", "nobody"},
			[]string{`User "nobody" cannot get resource "namespacemappings"`}},
		{"impersonation for status", []string{"status", "--kubeconfig", kubeconfigs["prod"], "--as", "nobody"},
			[]string{`User "nobody" cannot list resource "namespacemappings"`}},
		{"request timeout", append([]string{"plan", "--dest-request-timeout", "1ns"}, flagForm("x")...),
			[]string{"the destination cluster does not answer", "check --dest-kubeconfig/--dest-context"}},
		{"controller flags without a mapping", append([]string{"plan", "--as", "admin"}, flagForm("x")...),
			[]string{"--as names the controller's cluster and needs --mapping NAMESPACE/NAME"}},
		{"per-side flags with a mapping", []string{"plan", "--mapping", controllerNS + "/shop", "--dest-as", "admin"},
			[]string{"--dest-as cannot be combined with --mapping"}},
		{"misspelled type", append([]string{"plan", "--resource-types", "configmaps,Deploymnet"}, flagForm("x")...),
			[]string{`--resource-types "Deploymnet": the source cluster serves no namespaced type of that name; did you mean "Deployment"?`, "kubectl api-resources"}},
		{"misspelled exclusion", append([]string{"sync", "--exclude-resource-types", "Secrts"}, flagForm("x")...),
			[]string{`--exclude-resource-types "Secrts": the source cluster serves no namespaced type of that name; did you mean "secrets"?`}},
		{"policy not spelled as the CRD spells it", append([]string{"sync", "--conflict-policy", "adopt"}, flagForm("x")...),
			[]string{`--conflict-policy "adopt": want Skip or Adopt (spelled exactly so)`}},
		{"drill of a namespace never synced", append([]string{"drill"}, flagForm("never-synced")...),
			[]string{"namespace never-synced does not exist in cluster dr: nothing was ever synced there"}},
		{"drill output", append([]string{"drill", "-o", "wide"}, flagForm("x")...), []string{`--output "wide": want one of table, json, yaml`}},
		{"bad output", []string{"status", "-o", "xml"}, []string{`--output "xml": want one of table, wide, json, yaml, name, go-template=`, "jsonpath="}},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			r := drSyncer(t, c.args...)
			g.Expect(r.Code).To(Equal(1), "%s", r)
			for _, w := range c.want {
				g.Expect(r.Err.Error()).To(ContainSubstring(w))
			}
			g.Expect(strings.Count(r.Err.Error(), "\n")).To(BeZero(), "one line: %q", r.Err)
		})
	}
}
