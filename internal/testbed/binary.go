package testbed

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// BuildBinary builds the dr-syncer binary from the module the caller runs in, into dir.
func BuildBinary(dir string) (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("not inside the dr-syncer module")
	}
	bin := filepath.Join(dir, "dr-syncer")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/dr-syncer")
	cmd.Dir = filepath.Dir(gomod)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %w\n%s", err, out)
	}
	return bin, nil
}

// WriteKubeconfig writes the cluster's admin kubeconfig into dir and returns its path.
func (c *Cluster) WriteKubeconfig(dir string) (string, error) {
	p := filepath.Join(dir, c.Name+".kubeconfig")
	return p, os.WriteFile(p, c.Kubeconfig, 0o600)
}
