// Package controller wires the dr-syncer controllers into one controller-runtime manager:
// the remote-cluster cache, the RemoteCluster and the NamespaceMapping reconcilers.
package controller

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/dr-syncer/dr-syncer/internal/cluster"
)

// Options configure the controller process.
type Options struct {
	// Namespace is the one namespace whose RemoteClusters and NamespaceMappings are served.
	Namespace              string
	MetricsBindAddress     string
	HealthProbeBindAddress string
	LeaderElection         bool
	// AllowKubeconfigExec and AllowInsecureTLS relax the kubeconfig policy for RemoteClusters.
	AllowKubeconfigExec bool
	AllowInsecureTLS    bool
	// ApplyWorkers bounds parallel writes per sync.
	ApplyWorkers int
	// Internals, when set, is filled with counters of what the process keeps per mapping, for
	// tests that look for leaks.
	Internals *Internals
}

// Internals counts what the controller keeps in memory per mapping.
type Internals struct {
	// MappingStates is the number of mappings with an applied cache and a delete guard.
	MappingStates func() int
	// Watchers is the number of Continuous watchers, each with its destination informers.
	Watchers func() int
	// SourceInformers is the number of shared source informers.
	SourceInformers func() int
}

// NewManager builds a manager with every dr-syncer controller registered.
func NewManager(cfg *rest.Config, opts Options) (manager.Manager, error) {
	if opts.Namespace == "" {
		return nil, fmt.Errorf("no namespace to serve: set --namespace or $POD_NAMESPACE")
	}
	cfg = rest.CopyConfig(cfg)
	if cfg.QPS == 0 && cfg.RateLimiter == nil {
		// No client-side limit toward the controller's own cluster (client-go's default of 5 qps
		// would throttle syncs): Priority and Fairness protects the API server, --workers bounds us.
		cfg.QPS = -1
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme: cluster.Scheme,
		Cache: cache.Options{
			// Everything the manager caches lives in the served namespace; Secrets are watched
			// metadata-only and read uncached, so no Secret data is ever held in memory.
			DefaultNamespaces: map[string]cache.Config{opts.Namespace: {}},
		},
		Client:                  client.Options{Cache: &client.CacheOptions{DisableFor: []client.Object{&corev1.Secret{}}}},
		Metrics:                 metricsserver.Options{BindAddress: opts.MetricsBindAddress},
		HealthProbeBindAddress:  opts.HealthProbeBindAddress,
		LeaderElection:          opts.LeaderElection,
		LeaderElectionID:        "dr-syncer.dr-syncer.io",
		LeaderElectionNamespace: opts.Namespace,
		// A new leader must not start syncing before the old one has surely stopped.
		LeaderElectionReleaseOnCancel: true,
	})
	if err != nil {
		return nil, fmt.Errorf("creating manager: %w", err)
	}
	if err := setup(mgr, opts); err != nil {
		return nil, err
	}
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return nil, err
	}
	return mgr, nil
}

// Run starts the controller and blocks until ctx ends.
func Run(ctx context.Context, cfg *rest.Config, opts Options) error {
	mgr, err := NewManager(cfg, opts)
	if err != nil {
		return err
	}
	ctrl.Log.WithName("setup").Info("starting dr-syncer controller", "namespace", opts.Namespace, "leaderElection", opts.LeaderElection)
	return mgr.Start(ctx)
}
