// Package standby_test proves, on clusters that run workloads (controller manager, scheduler and
// kwok nodes), what dr-syncer promises: a parked DR namespace runs no Pod, cutover brings every
// workload up, failback parks DR again, and DR's garbage collector leaves the copies alone.
package standby_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/dr-syncer/dr-syncer/internal/cluster"
	"github.com/dr-syncer/dr-syncer/internal/testbed"
	"github.com/dr-syncer/dr-syncer/internal/testbed/harness"
)

const (
	controllerNS = "dr-syncer-system"
	drClusterRef = "dr"
	// nodes is the number of kwok nodes per cluster: a DaemonSet runs this many Pods.
	nodes = 2
)

var (
	prodTB, drTB *testbed.Cluster
	prod, dr     *cluster.Handle
	// prodKube and drKube are typed clients, for Pods and workload status.
	prodKube, drKube kubernetes.Interface
	// prodKubeconfig is the file the CLI commands run with (the controller's cluster).
	prodKubeconfig string
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	ctrl.SetLogger(zap.New(zap.UseDevMode(true), zap.Level(zapcore.ErrorLevel)))
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		fmt.Fprintln(os.Stderr, "standby: KUBEBUILDER_ASSETS not set: run through make test or hack/testbin.sh")
		return 1
	}
	workDir, err := os.MkdirTemp("", "dr-syncer-standby-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(workDir)
	// Both sides run workloads: DR to prove what runs there, prod to prove failback brings it
	// back to its counts.
	clusters, err := testbed.Start(testbed.Options{Runnables: map[string]testbed.Runnables{
		"prod": testbed.AllRunnables(nodes), "dr": testbed.AllRunnables(nodes),
	}}, "prod", "dr")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer testbed.StopAll(clusters)
	prodTB, drTB = clusters[0], clusters[1]
	err = setUp(workDir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := harness.StartController(ctx, prodTB, controllerNS, map[string]*testbed.Cluster{drClusterRef: drTB}, 4); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := m.Run()
	if code != 0 {
		for _, c := range clusters {
			c.RunnableLogTails(os.Stderr, 30)
		}
	}
	return code
}

func setUp(workDir string) error {
	var err error
	if prod, err = cluster.New("prod", prodTB.Config); err != nil {
		return err
	}
	if dr, err = cluster.New("dr", drTB.Config); err != nil {
		return err
	}
	if prodKube, err = kubernetes.NewForConfig(prodTB.Config); err != nil {
		return err
	}
	if drKube, err = kubernetes.NewForConfig(drTB.Config); err != nil {
		return err
	}
	prodKubeconfig = filepath.Join(workDir, "prod.kubeconfig")
	if err := os.WriteFile(prodKubeconfig, prodTB.Kubeconfig, 0o600); err != nil {
		return err
	}
	// DR's nodes carry a label prod's do not: a Job that needs it waits in prod, runs in DR.
	ctx := context.Background()
	nodes, err := drKube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	for _, n := range nodes.Items {
		patch := fmt.Appendf(nil, `{"metadata":{"labels":{%q:"dr"}}}`, drSiteLabel)
		if _, err := drKube.CoreV1().Nodes().Patch(ctx, n.Name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
			return err
		}
	}
	return nil
}

// result is what one dr-syncer command printed and how it ended.
type result = harness.CLIResult

// drSyncer runs a dr-syncer command line in-process against prod, as the binary does.
func drSyncer(args ...string) result {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	return harness.RunCLI(ctx, append(args, "--kubeconfig", prodKubeconfig)...)
}
