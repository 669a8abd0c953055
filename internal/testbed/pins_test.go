package testbed_test

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// TestRunnablePinsAgree: the versions hack/testbin.sh names (and stamps) are the ones the tool
// modules it builds from require.
func TestRunnablePinsAgree(t *testing.T) {
	hack := filepath.Join("..", "..", "hack")
	script, err := os.ReadFile(filepath.Join(hack, "testbin.sh"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ variable, gomod, module string }{
		{"K8S_VERSION", "tools/kube-runnables/go.mod", "k8s.io/kubernetes"},
		{"K8S_VERSION", "tools/kube/go.mod", "k8s.io/kubernetes"},
		{"KWOK_VERSION", "tools/kwok/go.mod", "sigs.k8s.io/kwok"},
	} {
		m := regexp.MustCompile(`(?m)^` + c.variable + `=(\S+)$`).FindSubmatch(script)
		if m == nil {
			t.Fatalf("hack/testbin.sh sets no %s", c.variable)
		}
		mod, err := os.ReadFile(filepath.Join(hack, c.gomod))
		if err != nil {
			t.Fatal(err)
		}
		req := regexp.MustCompile(`(?m)^\s*(?:require\s+)?` + regexp.QuoteMeta(c.module) + `\s+(\S+)`).FindSubmatch(mod)
		if req == nil {
			t.Fatalf("hack/%s does not require %s", c.gomod, c.module)
		}
		if string(req[1]) != string(m[1]) {
			t.Errorf("hack/%s requires %s %s, hack/testbin.sh's %s is %s", c.gomod, c.module, req[1], c.variable, m[1])
		}
	}
}
