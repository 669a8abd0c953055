package transform

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// testOpts is the mapping most tests transform with.
var testOpts = Options{
	SourceCluster:   "prod",
	SourceNamespace: "shop",
	DestNamespace:   "shop-dr",
	MappingID:       "m1",
	ScaleToZero:     true,
}

// parse reads a YAML manifest the way objects arrive from the API server (integers as int64).
func parse(t testing.TB, manifest string) *unstructured.Unstructured {
	t.Helper()
	data, err := yaml.YAMLToJSON([]byte(strings.ReplaceAll(manifest, "\t", "  ")))
	if err != nil {
		t.Fatalf("bad test manifest: %v", err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(data); err != nil {
		t.Fatalf("bad test manifest: %v", err)
	}
	return u
}

// dest parses an expected DR object and adds what every DR object of testOpts carries, so
// tables only spell out what a rule changes.
func dest(t testing.TB, manifest string) *unstructured.Unstructured {
	t.Helper()
	u := parse(t, manifest)
	u.SetNamespace(testOpts.DestNamespace)
	labels := u.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	labels[drv1.LabelMapping] = testOpts.MappingID
	u.SetLabels(labels)
	annotations := u.GetAnnotations()
	if annotations == nil {
		annotations = map[string]string{}
	}
	if _, ok := annotations[drv1.AnnotationSource]; !ok {
		annotations[drv1.AnnotationSource] = "prod/shop/" + u.GetName()
	}
	u.SetAnnotations(annotations)
	return u
}

// toDestination runs ToDestination and fails the test if it touched its input.
func toDestination(t *testing.T, in *unstructured.Unstructured, opts Options) (*unstructured.Unstructured, error) {
	t.Helper()
	before := in.DeepCopy()
	out, err := ToDestination(in, opts)
	if !equality.Semantic.DeepEqual(before.Object, in.Object) {
		t.Errorf("ToDestination mutated its input:\nbefore %v\nafter  %v", before.Object, in.Object)
	}
	return out, err
}

// destinationCase is one row of a ToDestination table.
type destinationCase struct {
	name    string
	opts    *Options // nil means testOpts
	in      string
	want    string // expected object, completed by dest
	wantErr string // substring of the expected error; want is ignored when set
}

func runDestinationCases(t *testing.T, cases []destinationCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts := testOpts
			if tc.opts != nil {
				opts = *tc.opts
			}
			out, err := toDestination(t, parse(t, tc.in), opts)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ToDestination: %v", err)
			}
			assertObject(t, out, dest(t, tc.want))
		})
	}
}

func assertObject(t *testing.T, got, want *unstructured.Unstructured) {
	t.Helper()
	if !equality.Semantic.DeepEqual(got.Object, want.Object) {
		g, _ := yaml.Marshal(got.Object)
		w, _ := yaml.Marshal(want.Object)
		t.Errorf("got:\n%s\nwant:\n%s", g, w)
	}
}
