package cli_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestBinaryAsKubectlPlugin builds dr-syncer, installs it as kubectl-dr_syncer and runs plan
// and sync through the real kubectl: exit statuses travel through both processes.
func TestBinaryAsKubectlPlugin(t *testing.T) {
	g := NewWithT(t)
	kubectl := filepath.Join(os.Getenv("KUBEBUILDER_ASSETS"), "kubectl")
	if _, err := os.Stat(kubectl); err != nil {
		t.Fatalf("kubectl not in the test bed binaries: %v", err)
	}
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "kubectl-dr_syncer"), "./cmd/dr-syncer")
	build.Dir = moduleRoot(t)
	out, err := build.CombinedOutput()
	g.Expect(err).NotTo(HaveOccurred(), "%s", out)

	ns := newNamespace(g, prod, "plugin")
	create(g, prod, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "settings", Namespace: ns}})
	run := func(args ...string) (string, int) {
		cmd := exec.Command(kubectl, append([]string{"dr-syncer"}, args...)...)
		cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "KUBECONFIG="+kubeconfigs["both"])
		var b bytes.Buffer
		cmd.Stdout, cmd.Stderr = &b, &b
		err := cmd.Run()
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return b.String(), exit.ExitCode()
		}
		g.Expect(err).NotTo(HaveOccurred())
		return b.String(), 0
	}
	// $KUBECONFIG holds both contexts; prod is the current one.
	args := []string{"--dest-context", "dr", "--source-namespace", ns}
	out2, code := run(append([]string{"plan"}, args...)...)
	g.Expect(code).To(Equal(2), out2)
	g.Expect(out2).To(MatchRegexp(`(?m)^create\s+ConfigMap\s+settings`))
	out2, code = run(append([]string{"sync"}, args...)...)
	g.Expect(code).To(Equal(0), out2)
	g.Expect(out2).To(ContainSubstring("sync: 1 objects to plan and write"))
	out2, code = run(append([]string{"plan"}, args...)...)
	g.Expect(code).To(Equal(0), out2)
	out2, code = run(append([]string{"plan", "--dest-context", "nope"}, args[2:]...)...)
	g.Expect(code).To(Equal(1), out2)
	g.Expect(out2).To(HavePrefix(`Error: --dest-context "nope": no such context`))
}

// moduleRoot is the directory of go.mod.
func moduleRoot(t *testing.T) string {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}
