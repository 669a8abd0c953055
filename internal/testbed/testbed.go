// Package testbed starts real kube-apiserver + etcd control planes (through envtest) with the
// project's CRDs installed, for tests, benchmarks and the demo.
package testbed

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/dr-syncer/dr-syncer/config/crd"
)

// Cluster is one running control plane.
type Cluster struct {
	// Name is the name the caller gave the control plane.
	Name string
	// Config is an admin rest.Config for it.
	Config *rest.Config
	// Kubeconfig holds admin credentials inline (no file paths), fit to store in a Secret.
	Kubeconfig []byte
	// Env is the underlying envtest environment.
	Env *envtest.Environment

	// certDir keeps the API server's serving certificates across StopAPIServer and
	// StartAPIServer, so that clients keep trusting it.
	certDir  string
	stopOnce sync.Once
	stopErr  error

	// assetsDir holds the binaries; runDir the runnables' kubeconfig, CA and logs.
	assetsDir  string
	runDir     string
	keepRunDir bool
	runnables  []*process
}

// Stop shuts the control plane down, its runnables first; calling it again is a no-op.
func (c *Cluster) Stop() error {
	c.stopOnce.Do(func() {
		c.stopErr = errors.Join(c.stopRunnables(), c.Env.Stop())
		if c.certDir != "" {
			c.stopErr = errors.Join(c.stopErr, os.RemoveAll(c.certDir))
		}
	})
	return c.stopErr
}

// StopAPIServer stops the kube-apiserver (SIGTERM, then SIGKILL when it has not exited after
// envtest's stop timeout, 20 s: open watches hold a graceful shutdown) and leaves etcd, with its
// data, running: clients get connection refused until StartAPIServer.
func (c *Cluster) StopAPIServer() error {
	err := c.Env.ControlPlane.APIServer.Stop()
	if err != nil && strings.HasPrefix(err.Error(), "timeout waiting for process") {
		// envtest killed it after the timeout: stopped all the same.
		return nil
	}
	return err
}

// StartAPIServer starts the kube-apiserver again on the same address, certificates and data,
// and returns once it is healthy.
func (c *Cluster) StartAPIServer() error { return c.Env.ControlPlane.APIServer.Start() }

// Options tune Start.
type Options struct {
	// ExtraCRDs are installed beside the project's CRDs.
	ExtraCRDs []*apiextensionsv1.CustomResourceDefinition
	// AssetsDir holds kube-apiserver, etcd and kubectl (and the runnables' binaries); empty
	// means $KUBEBUILDER_ASSETS.
	AssetsDir string
	// Runnables, by cluster name, are the components that cluster runs beside its API server
	// (see Runnables); a cluster not named runs none.
	Runnables map[string]Runnables
}

// Start starts one control plane per name, in parallel, and returns them in the same order.
// On error, every control plane already started is stopped.
func Start(opts Options, names ...string) ([]*Cluster, error) {
	crds, err := crd.CRDs()
	if err != nil {
		return nil, err
	}
	crds = append(crds, opts.ExtraCRDs...)
	dir := opts.AssetsDir
	if dir == "" {
		dir = os.Getenv("KUBEBUILDER_ASSETS")
	}
	if dir == "" {
		return nil, errors.New("no test bed binaries: set KUBEBUILDER_ASSETS (make test does: see hack/testbin.sh)")
	}

	clusters := make([]*Cluster, len(names))
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			clusters[i], errs[i] = startOne(name, dir, crds)
			if errs[i] == nil {
				errs[i] = clusters[i].StartRunnables(opts.Runnables[name])
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		StopAll(clusters)
		return nil, err
	}
	return clusters, nil
}

func startOne(name, dir string, crds []*apiextensionsv1.CustomResourceDefinition) (*Cluster, error) {
	env := &envtest.Environment{
		BinaryAssetsDirectory: dir,
		CRDInstallOptions:     envtest.CRDInstallOptions{CRDs: deepCopyCRDs(crds)},
		ErrorIfCRDPathMissing: true,
	}
	certDir, err := os.MkdirTemp("", "dr-syncer-apiserver-")
	if err != nil {
		return nil, err
	}
	env.ControlPlane.GetAPIServer().CertDir = certDir
	cfg, err := env.Start()
	if err != nil {
		_ = os.RemoveAll(certDir)
		return nil, fmt.Errorf("starting control plane %q: %w", name, err)
	}
	c := &Cluster{Name: name, Env: env, certDir: certDir, assetsDir: dir}
	user, err := env.AddUser(envtest.User{Name: name + "-admin", Groups: []string{"system:masters"}}, cfg)
	if err != nil {
		_ = c.Stop()
		return nil, fmt.Errorf("control plane %q: adding admin user: %w", name, err)
	}
	if c.Kubeconfig, err = user.KubeConfig(); err != nil {
		_ = c.Stop()
		return nil, fmt.Errorf("control plane %q: kubeconfig: %w", name, err)
	}
	c.Config = user.Config()
	// Tests and benchmarks create thousands of objects: do not throttle on the client side.
	c.Config.QPS, c.Config.Burst = 1000, 2000
	return c, nil
}

// StopAll stops every non-nil cluster and joins the errors.
func StopAll(clusters []*Cluster) error {
	var errs []error
	for _, c := range clusters {
		if c != nil {
			errs = append(errs, c.Stop())
		}
	}
	return errors.Join(errs...)
}

func deepCopyCRDs(in []*apiextensionsv1.CustomResourceDefinition) []*apiextensionsv1.CustomResourceDefinition {
	out := make([]*apiextensionsv1.CustomResourceDefinition, len(in))
	for i, c := range in {
		out[i] = c.DeepCopy()
	}
	return out
}
