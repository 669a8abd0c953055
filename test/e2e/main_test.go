// Package e2e runs the real dr-syncer binary as a process against real control planes.
package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/dr-syncer/dr-syncer/internal/testbed"
)

var (
	// clusters are the control planes started for the package: clusters[0] is "prod", where the
	// controllers run, clusters[1] is "dr", the destination of the mappings.
	clusters []*testbed.Cluster

	// inProcessLog collects what controllers run inside the test process log (chart_rbac_test.go
	// reads it).
	inProcessLog = &lockedBuffer{}

	binDir    string
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	log := zap.New(zap.WriteTo(inProcessLog))
	ctrl.SetLogger(log)
	klog.SetLogger(log) // client-go's, e.g. events the API server refused
	var err error
	if binDir, err = os.MkdirTemp("", "dr-syncer-e2e-"); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(binDir)
	if clusters, err = testbed.Start(testbed.Options{}, "prod", "dr"); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer func() {
		if err := testbed.StopAll(clusters); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: stopping control planes:", err)
		}
	}()
	return m.Run()
}

// buildBinary builds ./cmd/dr-syncer once per package run and returns the binary's path.
func buildBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		out, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil {
			buildErr = fmt.Errorf("go env GOMOD: %w", err)
			return
		}
		gomod := strings.TrimSpace(string(out))
		if gomod == "" || gomod == os.DevNull {
			buildErr = fmt.Errorf("not inside the dr-syncer module")
			return
		}
		binPath = filepath.Join(binDir, "dr-syncer")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/dr-syncer")
		cmd.Dir = filepath.Dir(gomod)
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}
