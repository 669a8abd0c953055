package chart

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestExamplesAreValid applies every file in examples/ to the control plane, whose CRD schemas
// and CEL rules check the NamespaceMappings and RemoteClusters.
func TestExamplesAreValid(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "examples", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"continuous.yaml", "manual.yaml", "many-types-with-exclusions.yaml", "parkingrules.yaml", "remotecluster.yaml", "scheduled.yaml"}
	var got []string
	for _, f := range files {
		got = append(got, filepath.Base(f))
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("examples = %v, want %v", got, want)
	}

	a := newAdmin(t)
	const ns = "dr-syncer-system" // the namespace the examples are written for
	a.createNamespace(t, ns, nil)
	kinds := map[string]int{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(raw), "# ") {
			t.Errorf("%s does not open with a comment saying what it is for", f)
		}
		objs, err := decodeManifests(string(raw))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, obj := range objs {
			if obj.GetNamespace() != ns {
				t.Errorf("%s: %s %s is in namespace %q, want %s", f, obj.GetKind(), obj.GetName(), obj.GetNamespace(), ns)
				continue
			}
			kinds[obj.GetKind()]++
			_, err := a.resource(t, a.dynamic, obj).Apply(context.Background(), obj.GetName(), obj, metav1.ApplyOptions{FieldManager: fieldManager})
			if err != nil {
				t.Errorf("%s: %s %s: %v", f, obj.GetKind(), obj.GetName(), err)
			}
		}
	}
	if kinds["RemoteCluster"] != 1 || kinds["Secret"] != 1 || kinds["NamespaceMapping"] != 5 || kinds["ParkingRule"] != 2 {
		t.Errorf("the examples hold %v, want 1 Secret, 1 RemoteCluster, 5 NamespaceMappings and 2 ParkingRules", kinds)
	}
}
