// Package harness runs the dr-syncer controller in-process against a test bed control plane,
// with RemoteClusters for other control planes, for tests that drive it through its API.
package harness

import (
	"context"
	"fmt"
	"os"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/cluster"
	"github.com/dr-syncer/dr-syncer/internal/controller"
	"github.com/dr-syncer/dr-syncer/internal/testbed"
)

// RegisterRemoteCluster stores target's admin kubeconfig in a Secret and creates a RemoteCluster
// named name for it in namespace (created when missing), through c.
func RegisterRemoteCluster(ctx context.Context, c client.Client, namespace, name string, target *testbed.Cluster) error {
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	if err := c.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name + "-kubeconfig", Namespace: namespace},
		Data:       map[string][]byte{"kubeconfig": target.Kubeconfig},
	}); err != nil {
		return err
	}
	return c.Create(ctx, &drv1.RemoteCluster{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec:       drv1.RemoteClusterSpec{KubeconfigSecretRef: drv1.SecretKeyReference{Name: name + "-kubeconfig"}},
	})
}

// WaitReady waits until the RemoteCluster reports Ready=True.
func WaitReady(ctx context.Context, c client.Client, namespace, name string, timeout time.Duration) error {
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		rc := &drv1.RemoteCluster{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, rc); err != nil {
			return false, nil
		}
		return meta.IsStatusConditionTrue(rc.Status.Conditions, drv1.ConditionReady), nil
	})
	if err != nil {
		return fmt.Errorf("RemoteCluster %s/%s did not become Ready: %w", namespace, name, err)
	}
	return nil
}

// Internals counts what the in-process controller keeps per mapping; StartController fills it.
var Internals controller.Internals

// StartController registers every remote (by name) as a RemoteCluster in host, runs the
// controller in-process against host, serving namespace, until ctx ends, and returns once every
// RemoteCluster is Ready.
func StartController(ctx context.Context, host *testbed.Cluster, namespace string, remotes map[string]*testbed.Cluster, workers int) error {
	c, err := client.New(host.Config, client.Options{Scheme: cluster.Scheme})
	if err != nil {
		return err
	}
	for name, target := range remotes {
		if err := RegisterRemoteCluster(ctx, c, namespace, name, target); err != nil {
			return err
		}
	}
	mgr, err := controller.NewManager(host.Config, controller.Options{
		Namespace: namespace, MetricsBindAddress: "0", HealthProbeBindAddress: "0", ApplyWorkers: workers,
		Internals: &Internals,
	})
	if err != nil {
		return err
	}
	go func() {
		if err := mgr.Start(ctx); err != nil {
			// A test process whose controller died cannot go on meaningfully.
			fmt.Fprintln(os.Stderr, "controller:", err)
			os.Exit(1)
		}
	}()
	for name := range remotes {
		if err := WaitReady(ctx, c, namespace, name, time.Minute); err != nil {
			return err
		}
	}
	return nil
}
