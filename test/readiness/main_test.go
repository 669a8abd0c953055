// Package readiness_test proves on a runnable DR cluster (controller manager, scheduler and kwok
// nodes) that what dr-syncer activates comes up: cutover --wait and drill, run in-process
// against real control planes "prod" (API server only) and "dr" (runnable).
package readiness_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/dr-syncer/dr-syncer/internal/cluster"
	"github.com/dr-syncer/dr-syncer/internal/testbed"
	"github.com/dr-syncer/dr-syncer/internal/testbed/harness"
)

// drNodes is the number of fake nodes of the DR cluster.
const drNodes = 2

var (
	prod, dr     *cluster.Handle
	prodTB, drTB *testbed.Cluster
	// kubeconfig holds the contexts "prod" and "dr".
	kubeconfig string
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	ctrl.SetLogger(zap.New(zap.UseDevMode(true), zap.Level(zapcore.ErrorLevel)))
	dir, err := os.MkdirTemp("", "dr-syncer-readiness-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	clusters, err := testbed.Start(testbed.Options{Runnables: map[string]testbed.Runnables{"dr": testbed.AllRunnables(drNodes)}}, "prod", "dr")
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
		kubeconfig = filepath.Join(dir, "kubeconfig")
		err = writeKubeconfig(kubeconfig)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := m.Run()
	if code != 0 {
		drTB.RunnableLogTails(os.Stderr, 40)
	}
	return code
}

// writeKubeconfig writes one kubeconfig with the contexts "prod" and "dr".
func writeKubeconfig(path string) error {
	both := clientcmdapi.NewConfig()
	for _, tb := range []*testbed.Cluster{prodTB, drTB} {
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
	return clientcmd.WriteToFile(*both, path)
}

// result is the outcome of one command.
type result = harness.CLIResult

// drSyncer runs the command line in-process, as Execute does.
func drSyncer(t *testing.T, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	return harness.RunCLI(ctx, args...)
}

// flagForm are the cluster flags of the flag form between prod and dr.
func flagForm(ns string) []string {
	return []string{"--source-kubeconfig", kubeconfig, "--source-context", "prod",
		"--dest-kubeconfig", kubeconfig, "--dest-context", "dr", "--source-namespace", ns}
}
