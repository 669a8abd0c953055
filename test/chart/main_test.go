package chart

import (
	"fmt"
	"os"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/dr-syncer/dr-syncer/internal/testbed"
)

// bed is the control plane the rendered chart is applied to, shared by the package's tests; each
// test installs its own release into its own namespace.
var bed *testbed.Cluster

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		fmt.Fprintln(os.Stderr, "test/chart: KUBEBUILDER_ASSETS is not set: these tests apply the chart to a real "+
			"kube-apiserver. Run `make test`, or `export KUBEBUILDER_ASSETS=$(./hack/testbin.sh)` first.")
		return 1
	}
	clusters, err := testbed.Start(testbed.Options{ExtraCRDs: []*apiextensionsv1.CustomResourceDefinition{
		openCRD("monitoring.coreos.com", "ServiceMonitor", "servicemonitors"),
		openCRD("monitoring.coreos.com", "PrometheusRule", "prometheusrules"),
	}}, "chart")
	if err != nil {
		fmt.Fprintln(os.Stderr, "test/chart:", err)
		return 1
	}
	bed = clusters[0]
	defer func() {
		if err := testbed.StopAll(clusters); err != nil {
			fmt.Fprintln(os.Stderr, "test/chart: stopping the control plane:", err)
		}
	}()
	return m.Run()
}

// openCRD is a stand-in for a prometheus-operator CRD: the right names, any content accepted.
func openCRD(group, kind, plural string) *apiextensionsv1.CustomResourceDefinition {
	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: plural + "." + group},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: group,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Kind: kind, ListKind: kind + "List", Plural: plural},
			Scope: apiextensionsv1.NamespaceScoped,
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
				Name: "v1", Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type:                   "object",
					XPreserveUnknownFields: ptr.To(true),
				}},
			}},
		},
	}
}
