// Package cli_test runs the dr-syncer DR commands (plan, sync, cutover, failback, status,
// trigger) in-process and as a built binary against real control planes: "prod", where the
// controller runs, and "dr".
package cli_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/zap/zapcore"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/dr-syncer/dr-syncer/internal/cluster"
	"github.com/dr-syncer/dr-syncer/internal/testbed"
	"github.com/dr-syncer/dr-syncer/internal/testbed/harness"
)

const (
	controllerNS = "dr-syncer-system"
	drClusterRef = "dr"
)

var (
	prod, dr     *cluster.Handle
	prodTB, drTB *testbed.Cluster
	// kubeconfigs holds one file per cluster and "both", with contexts "prod" and "dr".
	kubeconfigs = map[string]string{}
	// workDir holds the kubeconfig files and the built binary.
	workDir string
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	ctrl.SetLogger(zap.New(zap.UseDevMode(true), zap.Level(zapcore.ErrorLevel)))
	var err error
	if workDir, err = os.MkdirTemp("", "dr-syncer-cli-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(workDir)
	clusters, err := testbed.Start(testbed.Options{}, "prod", "dr")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer testbed.StopAll(clusters)
	prodTB, drTB = clusters[0], clusters[1]
	if prod, err = cluster.New("prod", prodTB.Config); err == nil {
		dr, err = cluster.New("dr", drTB.Config)
	}
	if err == nil {
		err = writeKubeconfigs()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := startController(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// writeKubeconfigs writes prod.kubeconfig, dr.kubeconfig and both.kubeconfig (contexts "prod" and
// "dr", current context "prod"), the way an administrator's workstation has them.
func writeKubeconfigs() error {
	both := clientcmdapi.NewConfig()
	for _, tb := range []*testbed.Cluster{prodTB, drTB} {
		path := filepath.Join(workDir, tb.Name+".kubeconfig")
		if err := os.WriteFile(path, tb.Kubeconfig, 0o600); err != nil {
			return err
		}
		kubeconfigs[tb.Name] = path
		cfg, err := clientcmd.Load(tb.Kubeconfig)
		if err != nil {
			return err
		}
		cur := cfg.Contexts[cfg.CurrentContext]
		both.Clusters[tb.Name] = cfg.Clusters[cur.Cluster]
		both.AuthInfos[tb.Name] = cfg.AuthInfos[cur.AuthInfo]
		both.Contexts[tb.Name] = &clientcmdapi.Context{Cluster: tb.Name, AuthInfo: tb.Name}
	}
	both.CurrentContext = "prod"
	kubeconfigs["both"] = filepath.Join(workDir, "both.kubeconfig")
	return clientcmd.WriteToFile(*both, kubeconfigs["both"])
}

// startController registers "dr" as a RemoteCluster in prod and runs the controller there.
func startController(ctx context.Context) error {
	return harness.StartController(ctx, prodTB, controllerNS, map[string]*testbed.Cluster{drClusterRef: drTB}, 4)
}
