package chart

import (
	"maps"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/dr-syncer/dr-syncer/config/crd"
)

// TestCRDCopiesMatchGenerated fails when charts/dr-syncer/templates/crds is stale: run
// hack/sync-chart-crds.sh after make generate.
func TestCRDCopiesMatchGenerated(t *testing.T) {
	generated, err := crd.CRDs()
	if err != nil {
		t.Fatal(err)
	}
	r := mustRender(t, "drs", "dr-syncer-system", nil)
	inChart := map[string]*apiextensionsv1.CustomResourceDefinition{}
	for _, o := range r.Objects {
		if o.GetKind() != "CustomResourceDefinition" {
			continue
		}
		c := &apiextensionsv1.CustomResourceDefinition{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(o.Object, c, true); err != nil {
			t.Fatalf("CRD %s in the chart: %v", o.GetName(), err)
		}
		inChart[c.Name] = c
	}
	if len(inChart) != len(generated) {
		t.Errorf("the chart has %d CRDs, config/crd/bases %d: run hack/sync-chart-crds.sh", len(inChart), len(generated))
	}
	for _, want := range generated {
		got, ok := inChart[want.Name]
		if !ok {
			t.Errorf("CRD %s is missing from the chart: run hack/sync-chart-crds.sh", want.Name)
			continue
		}
		// The chart adds its labels and the keep annotation; everything else must be identical.
		annotations := maps.Clone(got.Annotations)
		delete(annotations, "helm.sh/resource-policy")
		if !maps.Equal(annotations, want.Annotations) {
			t.Errorf("CRD %s annotations = %v, want %v plus helm.sh/resource-policy: run hack/sync-chart-crds.sh", want.Name, got.Annotations, want.Annotations)
		}
		if !equality.Semantic.DeepEqual(got.Spec, want.Spec) {
			t.Errorf("CRD %s in the chart differs from config/crd/bases: run hack/sync-chart-crds.sh", want.Name)
		}
		if got.Labels["app.kubernetes.io/component"] != "crds" {
			t.Errorf("CRD %s labels = %v", want.Name, got.Labels)
		}
	}
}
