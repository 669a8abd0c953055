package controller

import (
	"errors"
	"net/http"
	"time"

	"context"

	ctrl "sigs.k8s.io/controller-runtime"

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
