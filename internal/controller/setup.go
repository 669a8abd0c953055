package controller

import (
	"context"
	"errors"
	"net/http"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/dr-syncer/dr-syncer/internal/cluster"
	"github.com/dr-syncer/dr-syncer/internal/continuous"
	"github.com/dr-syncer/dr-syncer/internal/controller/namespacemapping"
	"github.com/dr-syncer/dr-syncer/internal/controller/parkingrule"

	"github.com/dr-syncer/dr-syncer/internal/clustercache"
	"github.com/dr-syncer/dr-syncer/internal/controller/remotecluster"
	"github.com/dr-syncer/dr-syncer/internal/kubeconfig"
)

// setup registers the remote-cluster cache, the reconcilers and the readiness checks.
func setup(mgr ctrl.Manager, opts Options) error {
	cc := clustercache.New(mgr, clustercache.Options{
		Namespace: opts.Namespace,
		Policy:    kubeconfig.Policy{AllowExec: opts.AllowKubeconfigExec, AllowInsecureTLS: opts.AllowInsecureTLS},
	})
	if err := remotecluster.Setup(mgr, cc, opts.Namespace); err != nil {
		return err
	}
	local, err := cluster.New("local", mgr.GetConfig())
	if err != nil {
		return err
	}
	watchdog := NewWatchdog()
	if err := mgr.AddHealthzCheck("reconcilers", watchdog.Check); err != nil {
		return err
	}
	nm := &namespacemapping.Reconciler{
		Client:     mgr.GetClient(),
		APIReader:  mgr.GetAPIReader(),
		Clusters:   cc,
		Local:      local,
		Recorder:   mgr.GetEventRecorder("dr-syncer"),
		Workers:    opts.ApplyWorkers,
		Continuous: continuous.NewManager(),
		Track:      watchdog.Track,
	}
	if err := nm.SetupWithManager(mgr); err != nil {
		return err
	}
	if err := parkingrule.Setup(mgr); err != nil {
		return err
	}
	if in := opts.Internals; in != nil {
		in.MappingStates, in.Watchers, in.SourceInformers = nm.Tracked, nm.Continuous.Watchers, nm.Continuous.Informers
	}
	if err := mgr.AddReadyzCheck("informers", func(req *http.Request) error {
		ctx, cancel := context.WithTimeout(req.Context(), time.Second)
		defer cancel()
		if !mgr.GetCache().WaitForCacheSync(ctx) {
			return errors.New("informer caches not synced")
		}
		return nil
	}); err != nil {
		return err
	}
	return mgr.AddReadyzCheck("remote-clusters", cc.ReadyzCheck)
}
