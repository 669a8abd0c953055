package testbed_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fakeGo stands in for the go command: `go build ... -o OUT PKG` writes an executable OUT and
// logs "build PKG"; `go list` prints $FAKE_KWOK_DIR, the module directory of kwok.
const fakeGo = `#!/bin/sh
case "$1" in
build)
  out=; for a in "$@"; do [ "$prev" = "-o" ] && out=$a; prev=$a; done
  printf '#!/bin/sh\n' > "$out"; chmod +x "$out"
  echo "build $a" >> "$FAKE_GO_LOG";;
list)
  echo "$FAKE_KWOK_DIR";;
*)
  echo "fake go: unexpected $*" >&2; exit 1;;
esac
`

// TestTestbinRebuildsEachSetOnItsOwn runs hack/testbin.sh with a fake go command: the control
// plane (kube-apiserver, etcd, kubectl, stamp .pins) and the runnables (kube-controller-manager,
// kube-scheduler, kwok and its stages, stamp .pins-runnables) are each built only when one of
// theirs is missing or their stamp differs, and building one set never touches the other.
func TestTestbinRebuildsEachSetOnItsOwn(t *testing.T) {
	tmp := t.TempDir()
	dir, bin, kwok := filepath.Join(tmp, "cache"), filepath.Join(tmp, "bin"), filepath.Join(tmp, "kwok")
	for _, d := range []string{bin, filepath.Join(kwok, "kustomize", "stage", "node", "fast"), filepath.Join(kwok, "kustomize", "stage", "node", "heartbeat-with-lease"), filepath.Join(kwok, "kustomize", "stage", "pod", "fast")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(bin, "go"), []byte(fakeGo), 0o755); err != nil {
		t.Fatal(err)
	}
	stages := []string{"node/fast/node-initialize", "node/heartbeat-with-lease/node-heartbeat-with-lease", "pod/fast/pod-ready", "pod/fast/pod-complete", "pod/fast/pod-delete"}
	for _, s := range stages {
		if err := os.WriteFile(filepath.Join(kwok, "kustomize", "stage", s+".yaml"), []byte("kind: Stage\nmetadata: {name: "+filepath.Base(s)+"}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	log := filepath.Join(tmp, "go.log")

	// run runs the script and returns the packages it built.
	run := func() []string {
		t.Helper()
		_ = os.Remove(log)
		cmd := exec.Command(filepath.Join("..", "..", "hack", "testbin.sh"))
		cmd.Env = append(os.Environ(), "KUBEBUILDER_ASSETS=", "DRSYNCER_TESTBIN_DIR="+dir,
			"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "FAKE_GO_LOG="+log, "FAKE_KWOK_DIR="+kwok)
		// A file, not a pipe: the script's heartbeat sleep may outlive it holding stderr.
		stderr, err := os.Create(filepath.Join(tmp, "stderr"))
		if err != nil {
			t.Fatal(err)
		}
		defer stderr.Close()
		cmd.Stderr = stderr
		out, err := cmd.Output()
		if err != nil {
			b, _ := os.ReadFile(stderr.Name())
			t.Fatalf("testbin.sh: %v\n%s", err, b)
		}
		if strings.TrimSpace(string(out)) != dir {
			t.Fatalf("testbin.sh printed %q, want %q", out, dir)
		}
		b, err := os.ReadFile(log)
		if os.IsNotExist(err) {
			return nil
		}
		if err != nil {
			t.Fatal(err)
		}
		built := strings.Fields(strings.ReplaceAll(string(b), "build ", ""))
		slices.Sort(built)
		return built
	}
	read := func(name string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	expect := func(step string, got []string, want ...string) {
		t.Helper()
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: built %v, want %v", step, got, want)
		}
	}
	core := []string{"go.etcd.io/etcd/server/v3", "k8s.io/kubernetes/cmd/kube-apiserver", "k8s.io/kubernetes/cmd/kubectl"}
	runnables := []string{"k8s.io/kubernetes/cmd/kube-controller-manager", "k8s.io/kubernetes/cmd/kube-scheduler", "sigs.k8s.io/kwok/cmd/kwok"}

	expect("empty cache", run(), append(slices.Clone(core), runnables...)...)
	pins, pinsRunnables := read(".pins"), read(".pins-runnables")
	if got := strings.Count(read("kwok-stages.yaml"), "kind: Stage"); got != len(stages) {
		t.Errorf("kwok-stages.yaml holds %d stages, want %d", got, len(stages))
	}
	expect("complete cache", run())

	// A checkout that built the control plane before the runnables existed: only they are built,
	// and the control plane's stamp stays as it was.
	for _, name := range []string{"kube-controller-manager", "kube-scheduler", "kwok", "kwok-stages.yaml", ".pins-runnables"} {
		if err := os.Remove(filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	expect("runnables missing", run(), runnables...)
	if read(".pins") != pins || read(".pins-runnables") != pinsRunnables {
		t.Errorf("stamps changed: .pins %q → %q, .pins-runnables %q → %q", pins, read(".pins"), pinsRunnables, read(".pins-runnables"))
	}

	if err := os.WriteFile(filepath.Join(dir, ".pins-runnables"), []byte("old pins\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	expect("runnables' stamp differs", run(), runnables...)
	if err := os.WriteFile(filepath.Join(dir, ".pins"), []byte("old pins\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	expect("control plane's stamp differs", run(), core...)
	if read(".pins") != pins {
		t.Errorf(".pins is %q after the rebuild, want %q", read(".pins"), pins)
	}
}
