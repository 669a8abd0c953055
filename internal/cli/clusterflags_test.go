package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/labels"
)

const twoContexts = `apiVersion: v1
kind: Config
clusters:
- name: a
  cluster: {server: "https://127.0.0.1:1"}
users:
- name: u
  user: {token: t}
contexts:
- name: prod
  context: {cluster: a, user: u}
- name: dr
  context: {cluster: a, user: u}
current-context: prod
`

func TestLoadKubeconfigSaysWhatToDo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(path, []byte(twoContexts), 0o600); err != nil {
		t.Fatal(err)
	}
	load := func(prefix, path, kubeContext string) (string, error) {
		k := newKubeFlags(prefix, "test cluster")
		*k.flags.KubeConfig, *k.flags.Context = path, kubeContext
		_, name, err := k.load()
		return name, err
	}
	if name, err := load("dest-", path, ""); err != nil || name != "prod" {
		t.Fatalf("current context: %q, %v", name, err)
	}
	_, err := load("dest-", path, "staging")
	if err == nil || !strings.Contains(err.Error(), `--dest-context "staging": no such context in `+path+"; available: dr, prod") {
		t.Errorf("missing context: %v", err)
	}
	_, err = load("source-", filepath.Join(t.TempDir(), "nope"), "")
	if err == nil || !strings.Contains(err.Error(), "--source-kubeconfig") {
		t.Errorf("missing file: %v", err)
	}
}

func TestParseMappingRef(t *testing.T) {
	for ref, want := range map[string]string{"ops/shop": "ops/shop", "shop": "dr-syncer-system/shop"} {
		got, err := parseMappingRef(ref, "dr-syncer-system")
		if err != nil || got.String() != want {
			t.Errorf("%q: %v, %v", ref, got, err)
		}
	}
	for _, ref := range []string{"shop", "/shop", "ops/", "a/b/c"} {
		if got, err := parseMappingRef(ref, ""); err == nil || !strings.Contains(err.Error(), "want NAMESPACE/NAME") {
			t.Errorf("%q: %v, %v", ref, got, err)
		}
	}
}

func TestSyncFlagsSpec(t *testing.T) {
	f := syncFlags{resourceTypes: []string{"*"}, conflictPolicy: "Adopt", immutableFieldPolicy: "Recreate", maxDeletePercent: 20, workers: 4,
		selector: "app=web,tier!=cache"}
	s, err := f.spec()
	if err != nil {
		t.Fatal(err)
	}
	if s.ConflictPolicy != "Adopt" || s.ImmutableFieldPolicy != "Recreate" || *s.Prune.MaxDeletePercent != 20 {
		t.Errorf("spec %+v", s)
	}
	sel, err := f.labelSelector()
	if err != nil || !sel.Matches(labels.Set{"app": "web", "tier": "db"}) || sel.Matches(labels.Set{"app": "web", "tier": "cache"}) {
		t.Errorf("selector %v, %v", sel, err)
	}
	for _, bad := range []syncFlags{
		{conflictPolicy: "Overwrite", immutableFieldPolicy: "Skip", workers: 1},
		{conflictPolicy: "adopt", immutableFieldPolicy: "Skip", workers: 1},
		{conflictPolicy: "Skip", immutableFieldPolicy: "recreate", workers: 1},
		{conflictPolicy: "Skip", immutableFieldPolicy: "Replace", workers: 1},
		{conflictPolicy: "Skip", immutableFieldPolicy: "Skip", maxDeletePercent: 101, workers: 1},
		{conflictPolicy: "Skip", immutableFieldPolicy: "Skip", workers: 0},
	} {
		if _, err := bad.spec(); err == nil || !strings.Contains(err.Error(), "--") {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	bad := syncFlags{selector: "app in (web"}
	if _, err := bad.labelSelector(); err == nil || !strings.Contains(err.Error(), "--selector") {
		t.Errorf("bad selector: %v", err)
	}
}
