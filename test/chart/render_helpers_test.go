package chart

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/release"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"
)

// chartDir is the chart under test, relative to this package.
var chartDir = filepath.Join("..", "..", "charts", "dr-syncer")

// kubeVersion is the Kubernetes version the chart is rendered for: the test bed's.
const kubeVersion = "v1.37.2"

var loadChart = sync.OnceValues(func() (*chart.Chart, error) { return loader.Load(chartDir) })

// rendered is one release rendered as `helm install --dry-run` would.
type rendered struct {
	Release *release.Release
	Objects []*unstructured.Unstructured
}

// servedAPIVersions are the API versions, beyond the built-in ones, that the test bed serves and
// that the chart asks for through .Capabilities: prometheus-operator's (see TestMain).
var servedAPIVersions = []string{
	"monitoring.coreos.com/v1", "monitoring.coreos.com/v1/ServiceMonitor", "monitoring.coreos.com/v1/PrometheusRule",
}

// renderChart renders the chart as release name in namespace with the given values (which go
// through values.schema.json like user values do), for the test bed's API server.
func renderChart(name, namespace string, values map[string]any) (*rendered, error) {
	return renderChartFor(name, namespace, values, servedAPIVersions)
}

// renderChartFor renders the chart for an API server that serves apiVersions beyond the built-in
// ones.
func renderChartFor(name, namespace string, values map[string]any, apiVersions []string) (*rendered, error) {
	chrt, err := loadChart()
	if err != nil {
		return nil, err
	}
	kv, err := chartutil.ParseKubeVersion(kubeVersion)
	if err != nil {
		return nil, err
	}
	install := action.NewInstall(&action.Configuration{Log: func(string, ...any) {}})
	install.ReleaseName = name
	install.Namespace = namespace
	install.DryRun = true
	install.ClientOnly = true
	install.KubeVersion = kv
	install.APIVersions = apiVersions
	rel, err := install.Run(chrt, values)
	if err != nil {
		return nil, err
	}
	objs, err := decodeManifests(rel.Manifest)
	if err != nil {
		return nil, err
	}
	return &rendered{Release: rel, Objects: objs}, nil
}

// mustRender renders the chart and fails the test on error.
func mustRender(t *testing.T, name, namespace string, values map[string]any) *rendered {
	t.Helper()
	r, err := renderChart(name, namespace, values)
	if err != nil {
		t.Fatalf("rendering the chart: %v", err)
	}
	return r
}

// decodeManifests splits a multi-document manifest into objects, skipping empty documents.
func decodeManifests(manifest string) ([]*unstructured.Unstructured, error) {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(manifest)))
	var out []*unstructured.Unstructured
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		js, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return nil, err
		}
		if s := strings.TrimSpace(string(js)); s == "null" || s == "{}" {
			continue // a template that rendered nothing
		}
		obj := &unstructured.Unstructured{}
		if _, _, err := unstructured.UnstructuredJSONScheme.Decode(js, nil, obj); err != nil {
			return nil, fmt.Errorf("%w in:\n%s", err, doc)
		}
		out = append(out, obj)
	}
}

// find returns the one rendered object of kind with a name ending in suffix, or nil.
func (r *rendered) find(t *testing.T, kind, suffix string) *unstructured.Unstructured {
	t.Helper()
	var found *unstructured.Unstructured
	for _, o := range r.Objects {
		if o.GetKind() == kind && strings.HasSuffix(o.GetName(), suffix) {
			if found != nil {
				t.Fatalf("more than one %s named *%s: %s and %s", kind, suffix, found.GetName(), o.GetName())
			}
			found = o
		}
	}
	return found
}

// count returns how many rendered objects are of kind.
func (r *rendered) count(kind string) int {
	n := 0
	for _, o := range r.Objects {
		if o.GetKind() == kind {
			n++
		}
	}
	return n
}

// deployment returns the controller Deployment as a typed object.
func (r *rendered) deployment(t *testing.T) *appsv1.Deployment {
	t.Helper()
	u := r.find(t, "Deployment", "")
	if u == nil {
		t.Fatal("no Deployment rendered")
	}
	d := &appsv1.Deployment{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, d, true); err != nil {
		t.Fatalf("Deployment: %v", err)
	}
	return d
}

// checkBuiltinFields converts every rendered object of a built-in kind into its Go type, failing on
// any field the type does not know: a misplaced or misspelt field in a template.
func checkBuiltinFields(t *testing.T, r *rendered) {
	t.Helper()
	for _, o := range r.Objects {
		typed, err := scheme.Scheme.New(o.GroupVersionKind())
		if err != nil {
			continue // not a built-in kind (CRDs and prometheus-operator kinds are checked by the API server)
		}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(o.Object, typed, true); err != nil {
			t.Errorf("%s %s: %v", o.GetKind(), o.GetName(), err)
		}
	}
}

// values builds a values map from YAML, so that test cases read like a values file.
func values(t *testing.T, y string) map[string]any {
	t.Helper()
	v := map[string]any{}
	if err := yaml.Unmarshal([]byte(y), &v); err != nil {
		t.Fatalf("test values: %v", err)
	}
	return v
}

// defaultValues returns the chart's values.yaml.
func defaultValues(t *testing.T) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return values(t, string(raw))
}
