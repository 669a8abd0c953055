// Package integration tests the controller against real API servers: two control planes, "a"
// (where the controller runs) and "b" (a remote cluster), started once for the package.
package integration

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"go.uber.org/zap/zapcore"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/dr-syncer/dr-syncer/internal/cluster"
	"github.com/dr-syncer/dr-syncer/internal/controller"
	"github.com/dr-syncer/dr-syncer/internal/testbed"
)

// controllerNamespace is the one namespace the controller under test serves.
const controllerNamespace = "dr-syncer-system"

var (
	// planeA runs the controller; planeB is only ever a remote cluster.
	planeA, planeB *testbed.Cluster
	// k8s is an admin client for control plane "a".
	k8s client.Client
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	// Errors only: the tests assert on status, events and metrics, not on logs.
	ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.Level(zapcore.ErrorLevel)))
	planes, err := testbed.Start(testbed.Options{}, "a", "b")
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		return 1
	}
	defer func() {
		if err := testbed.StopAll(planes); err != nil {
			fmt.Fprintln(os.Stderr, "integration: stopping control planes:", err)
		}
	}()
	planeA, planeB = planes[0], planes[1]

	if k8s, err = client.New(planeA.Config, client.Options{Scheme: cluster.Scheme}); err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, ns := range []string{controllerNamespace, otherNamespace, admissionNamespace} {
		if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			fmt.Fprintln(os.Stderr, "integration: creating namespace:", err)
			return 1
		}
	}

	mgr, err := controller.NewManager(planeA.Config, controller.Options{
		Namespace:              controllerNamespace,
		MetricsBindAddress:     "0",
		HealthProbeBindAddress: "0",
		ApplyWorkers:           4,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		return 1
	}
	stopped := make(chan error, 1)
	go func() { stopped <- mgr.Start(ctx) }()

	code := m.Run()

	cancel()
	select {
	case err := <-stopped:
		if err != nil {
			fmt.Fprintln(os.Stderr, "integration: manager:", err)
			code = 1
		}
	case <-time.After(30 * time.Second):
		fmt.Fprintln(os.Stderr, "integration: manager did not stop within 30s")
		code = 1
	}
	// A reconciler that panicked is a failure even when every assertion passed.
	if n := counterSum("controller_runtime_reconcile_panics_total"); n > 0 {
		fmt.Fprintf(os.Stderr, "integration: %v reconcile panics\n", n)
		code = 1
	}
	return code
}

// counterSum adds up every series of a counter in controller-runtime's registry.
func counterSum(name string) float64 {
	families, err := ctrlmetrics.Registry.Gather()
	if err != nil {
		return 0
	}
	var sum float64
	for _, f := range families {
		if f.GetName() == name {
			for _, m := range f.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

// series returns the metrics of family name whose label "cluster" is cluster.
func series(name, cluster string) []*dto.Metric {
	families, err := ctrlmetrics.Registry.Gather()
	if err != nil {
		return nil
	}
	var out []*dto.Metric
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "cluster" && l.GetValue() == cluster {
					out = append(out, m)
				}
			}
		}
	}
	return out
}

var nameSeq atomic.Int64

// uniqueName isolates tests that share the controller's namespace.
func uniqueName(prefix string) string {
	return fmt.Sprintf("%s-%d", prefix, nameSeq.Add(1))
}
