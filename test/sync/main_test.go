// Package sync_test drives the real controller through NamespaceMappings between two real
// control planes, "prod" (where the controller runs) and "dr".
package sync_test

import (
	"context"
	"fmt"
	"os"
	"testing"

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
	prod, dr *cluster.Handle
	// prodTB and drTB are the control planes (for stopping one in failure tests).
	prodTB, drTB *testbed.Cluster
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctrl.SetLogger(zap.New(zap.UseDevMode(true)))
	clusters, err := testbed.Start(testbed.Options{}, "prod", "dr")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer testbed.StopAll(clusters)
	prodTB, drTB = clusters[0], clusters[1]
	if prod, err = cluster.New("prod", prodTB.Config); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if dr, err = cluster.New("dr", drTB.Config); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := setupController(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// setupController runs the controller in-process against "prod", with the RemoteCluster "dr".
func setupController(ctx context.Context) error {
	return harness.StartController(ctx, prodTB, controllerNS, map[string]*testbed.Cluster{drClusterRef: drTB}, 8)
}
