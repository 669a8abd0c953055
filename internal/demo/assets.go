package demo

import (
	"fmt"
	"os"
	"path/filepath"
)

// KubeVersion is the Kubernetes version of the control planes the demo runs: the one
// hack/testbin.sh builds (K8S_VERSION there).
const KubeVersion = "v1.37.2"

// DefaultAssetsDir is where the demo looks for kube-apiserver and etcd when --assets-dir is not
// given, in the order hack/testbin.sh uses: $KUBEBUILDER_ASSETS, $DRSYNCER_TESTBIN_DIR, then
// ${XDG_CACHE_HOME:-$HOME/.cache}/dr-syncer/k8s-<version>.
func DefaultAssetsDir() string {
	for _, env := range []string{"KUBEBUILDER_ASSETS", "DRSYNCER_TESTBIN_DIR"} {
		if dir := os.Getenv(env); dir != "" {
			return dir
		}
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		cache = filepath.Join(home, ".cache")
	}
	return filepath.Join(cache, "dr-syncer", "k8s-"+KubeVersion)
}

// CheckAssets tells whether dir holds executable kube-apiserver and etcd binaries, and how to get
// them when it does not.
func CheckAssets(dir string) error {
	if dir == "" {
		return fmt.Errorf("no directory with kube-apiserver and etcd: run `make testbin` in a dr-syncer checkout, or pass --assets-dir")
	}
	for _, name := range []string{"kube-apiserver", "etcd"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			continue
		}
		return fmt.Errorf("%s %s not found in %s: run `make testbin` in a dr-syncer checkout to build it there "+
			"(about 10 minutes the first time), or point --assets-dir or $KUBEBUILDER_ASSETS at a directory holding kube-apiserver and etcd",
			name, KubeVersion, dir)
	}
	return nil
}
