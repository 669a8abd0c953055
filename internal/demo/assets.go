package demo

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
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

// demoBinaries are what the demo runs from the assets directory: the control planes, and the
// runnables that make both clusters run workloads (see internal/testbed).
var demoBinaries = []string{"kube-apiserver", "etcd", "kube-controller-manager", "kube-scheduler", "kwok"}

// CheckAssets tells whether dir holds the executables the demo runs (demoBinaries) and kwok's
// stages, and how to get them when it does not.
func CheckAssets(dir string) error {
	if dir == "" {
		return fmt.Errorf("no directory with kube-apiserver and etcd: run `make testbin` in a dr-syncer checkout, or pass --assets-dir")
	}
	for _, name := range demoBinaries {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			continue
		}
		return fmt.Errorf("%s %s not found in %s: run `make testbin` in a dr-syncer checkout to build it there "+
			"(about 10 minutes the first time), or point --assets-dir or $KUBEBUILDER_ASSETS at a directory holding %s",
			name, KubeVersion, dir, strings.Join(demoBinaries, ", "))
	}
	if _, err := os.Stat(filepath.Join(dir, "kwok-stages.yaml")); err != nil {
		return fmt.Errorf("kwok-stages.yaml not found in %s: run `make testbin` in a dr-syncer checkout", dir)
	}
	return nil
}
