package demo

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestDefaultAssetsDir(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	cases := []struct {
		name                   string
		assets, testbin, cache string
		want                   string
	}{
		{"KUBEBUILDER_ASSETS first", "/a", "/b", "/c", "/a"},
		{"then DRSYNCER_TESTBIN_DIR", "", "/b", "/c", "/b"},
		{"then XDG_CACHE_HOME", "", "", "/c", "/c/dr-syncer/k8s-" + KubeVersion},
		{"then ~/.cache", "", "", "", filepath.Join(home, ".cache", "dr-syncer", "k8s-"+KubeVersion)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("KUBEBUILDER_ASSETS", c.assets)
			t.Setenv("DRSYNCER_TESTBIN_DIR", c.testbin)
			t.Setenv("XDG_CACHE_HOME", c.cache)
			if got := DefaultAssetsDir(); got != c.want {
				t.Errorf("DefaultAssetsDir() = %q, want %q", got, c.want)
			}
		})
	}
}

func TestCheckAssets(t *testing.T) {
	dir := t.TempDir()
	err := CheckAssets(dir)
	if err == nil || !strings.Contains(err.Error(), "make testbin") || !strings.Contains(err.Error(), dir) {
		t.Fatalf("empty dir: error %v, want one naming the dir and `make testbin`", err)
	}
	for _, name := range demoBinaries {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := CheckAssets(dir); err == nil {
		t.Fatal("non-executable binaries accepted")
	}
	for _, name := range demoBinaries {
		if err := os.Chmod(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := CheckAssets(dir); err == nil || !strings.Contains(err.Error(), "kwok-stages.yaml") {
		t.Fatalf("no kwok stages: error %v, want one naming kwok-stages.yaml", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "kwok-stages.yaml"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := CheckAssets(dir); err != nil {
		t.Fatalf("complete dir: %v", err)
	}
	if err := CheckAssets(""); err == nil || !strings.Contains(err.Error(), "make testbin") {
		t.Fatalf("no dir: error %v, want one naming `make testbin`", err)
	}
}

// TestKubeVersionMatchesTestbin: the default assets folder is the one hack/testbin.sh fills.
func TestKubeVersionMatchesTestbin(t *testing.T) {
	script, err := os.ReadFile(filepath.Join("..", "..", "hack", "testbin.sh"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^K8S_VERSION=(\S+)$`).FindSubmatch(script)
	if m == nil {
		t.Fatal("hack/testbin.sh sets no K8S_VERSION")
	}
	if string(m[1]) != KubeVersion {
		t.Errorf("KubeVersion = %s, hack/testbin.sh builds %s", KubeVersion, m[1])
	}
}
