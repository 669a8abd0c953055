// Package sync_test drives the real controller through NamespaceMappings between two real
// control planes, "prod" (where the controller runs) and "dr".
package sync_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/cluster"
	"github.com/dr-syncer/dr-syncer/internal/controller"
	"github.com/dr-syncer/dr-syncer/internal/testbed"
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

// setupController creates the controller namespace, the RemoteCluster for "dr" and starts the
// controller in-process against "prod".
func setupController(ctx context.Context) error {
	c := prod.Client
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: controllerNS}}); err != nil {
		return err
	}
	if err := c.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "dr-kubeconfig", Namespace: controllerNS},
		Data:       map[string][]byte{"kubeconfig": drTB.Kubeconfig},
	}); err != nil {
		return err
	}
	if err := c.Create(ctx, &drv1.RemoteCluster{
		ObjectMeta: metav1.ObjectMeta{Name: drClusterRef, Namespace: controllerNS},
		Spec:       drv1.RemoteClusterSpec{KubeconfigSecretRef: drv1.SecretKeyReference{Name: "dr-kubeconfig"}, QPS: 500, Burst: 1000},
	}); err != nil {
		return err
	}
	mgr, err := controller.NewManager(prodTB.Config, controller.Options{
		Namespace: controllerNS, MetricsBindAddress: "0", HealthProbeBindAddress: "0", ApplyWorkers: 8,
	})
	if err != nil {
		return err
	}
	go func() {
		if err := mgr.Start(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "manager:", err)
			os.Exit(1)
		}
	}()
	// Wait until the RemoteCluster is connected, so tests start from a working set-up.
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		rc := &drv1.RemoteCluster{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: controllerNS, Name: drClusterRef}, rc); err == nil {
			for _, cond := range rc.Status.Conditions {
				if cond.Type == drv1.ConditionReady && cond.Status == metav1.ConditionTrue {
					return nil
				}
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("RemoteCluster %q did not become Ready", drClusterRef)
}
