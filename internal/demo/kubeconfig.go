package demo

import (
	"fmt"
	"path/filepath"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/dr-syncer/dr-syncer/internal/testbed"
)

// mergedKubeconfig is the file with a context per control plane, as on an administrator's
// workstation.
const mergedKubeconfig = "kubeconfig"

// writeKubeconfigs writes <name>.kubeconfig per control plane and the merged kubeconfig into
// dir; every context, cluster and user is named after its control plane ("prod", "dr"), and
// the merged file's current context is the first plane's.
func writeKubeconfigs(dir string, planes []*testbed.Cluster) error {
	merged := clientcmdapi.NewConfig()
	for _, p := range planes {
		cfg, err := clientcmd.Load(p.Kubeconfig)
		if err != nil {
			return fmt.Errorf("kubeconfig of %s: %w", p.Name, err)
		}
		cur, ok := cfg.Contexts[cfg.CurrentContext]
		if !ok {
			return fmt.Errorf("kubeconfig of %s has no current context", p.Name)
		}
		one := clientcmdapi.NewConfig()
		for _, c := range []*clientcmdapi.Config{one, merged} {
			c.Clusters[p.Name] = cfg.Clusters[cur.Cluster]
			c.AuthInfos[p.Name] = cfg.AuthInfos[cur.AuthInfo]
			c.Contexts[p.Name] = &clientcmdapi.Context{Cluster: p.Name, AuthInfo: p.Name}
		}
		one.CurrentContext = p.Name
		if merged.CurrentContext == "" {
			merged.CurrentContext = p.Name
		}
		if err := clientcmd.WriteToFile(*one, filepath.Join(dir, p.Name+".kubeconfig")); err != nil {
			return err
		}
	}
	return clientcmd.WriteToFile(*merged, filepath.Join(dir, mergedKubeconfig))
}
