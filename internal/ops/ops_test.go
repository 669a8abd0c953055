package ops

import (
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/yaml"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/transform"
)

func object(t *testing.T, y string) *unstructured.Unstructured {
	t.Helper()
	data, err := yaml.YAMLToJSON([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	if err := json.Unmarshal(data, &u.Object); err != nil { // integers as int64, as the API machinery reads them
		t.Fatal(err)
	}
	return u
}

// TestSourceRoundTrip: a cutover parks a source workload with transform.Park, a failback
// restores it and leaves no record behind; a second restore changes nothing.
func TestSourceRoundTrip(t *testing.T) {
	for _, y := range []string{
		`{apiVersion: apps/v1, kind: Deployment, metadata: {name: web, annotations: {team: a}}, spec: {replicas: 3}}`,
		`{apiVersion: apps/v1, kind: StatefulSet, metadata: {name: db}, spec: {replicas: 2}}`,
		`{apiVersion: apps/v1, kind: ReplicaSet, metadata: {name: bare}, spec: {replicas: 2}}`,
		`{apiVersion: v1, kind: ReplicationController, metadata: {name: legacy}, spec: {replicas: 4}}`,
		`{apiVersion: batch/v1, kind: CronJob, metadata: {name: nightly}, spec: {schedule: "@daily", suspend: false}}`,
		`{apiVersion: batch/v1, kind: Job, metadata: {name: migrate}, spec: {suspend: false}, status: {active: 1}}`,
		`{apiVersion: apps/v1, kind: DaemonSet, metadata: {name: agent}, spec: {template: {spec: {nodeSelector: {disk: ssd}}}}}`,
		`{apiVersion: keda.sh/v1alpha1, kind: ScaledObject, metadata: {name: web}, spec: {}}`,
		`{apiVersion: helm.toolkit.fluxcd.io/v2, kind: HelmRelease, metadata: {name: redis}, spec: {suspend: false}}`,
	} {
		src := object(t, y)
		parked, changed, err := transform.Park(src)
		if err != nil || !changed {
			t.Fatalf("%s: park: %v %v", src.GetKind(), changed, err)
		}
		restored, changed, err := restoreSource(parked)
		if err != nil || !changed {
			t.Fatalf("%s: restore: %v %v", src.GetKind(), changed, err)
		}
		k := kindOf(t, src)
		if got, want := k.state(restored), k.state(src); got != want {
			t.Errorf("%s restored to %s, want %s", src.GetKind(), got, want)
		}
		if _, ok := restored.GetAnnotations()[k.annotation]; ok {
			t.Errorf("%s: record %s left on the source", src.GetKind(), k.annotation)
		}
		if _, changed, _ := restoreSource(restored); changed {
			t.Errorf("%s: a second restore changes something", src.GetKind())
		}
	}
}

func kindOf(t *testing.T, u *unstructured.Unstructured) *workloadKind {
	for i := range workloadKinds {
		if workloadKinds[i].kind == u.GetKind() {
			return &workloadKinds[i]
		}
	}
	if annotation, field, ok := transform.Parked(u.GroupVersionKind().GroupKind()); ok {
		return &workloadKind{kind: u.GetKind(), annotation: annotation, field: field, custom: true}
	}
	t.Fatalf("no workload kind %s", u.GetKind())
	return nil
}

func TestState(t *testing.T) {
	for y, want := range map[string]string{
		`{kind: Deployment, spec: {replicas: 4}}`:                                       "replicas=4",
		`{kind: Deployment, spec: {}}`:                                                  "replicas=1",
		`{kind: CronJob, spec: {}}`:                                                     "suspend=false",
		`{kind: DaemonSet, spec: {template: {spec: {nodeSelector: {b: "2", a: "1"}}}}}`: "nodeSelector={a=1,b=2}",
		`{kind: DaemonSet, spec: {template: {spec: {}}}}`:                               "nodeSelector={}",
		`{apiVersion: keda.sh/v1alpha1, kind: ScaledObject, metadata: {name: w}}`:       "autoscaling.keda.sh/paused=unset",
	} {
		u := object(t, y)
		if got := kindOf(t, u).state(u); got != want {
			t.Errorf("%s: %q, want %q", y, got, want)
		}
	}
}

func TestInvertPVC(t *testing.T) {
	in := drv1.PVCConfig{
		StorageClassMappings: []drv1.StorageClassMapping{{From: "gp2", To: "standard"}, {From: "gp3", To: "standard"}, {From: "io1", To: "fast"}},
		AccessModeMappings:   []drv1.AccessModeMapping{{From: "ReadWriteMany", To: "ReadWriteOnce"}},
		PreserveVolumeName:   true,
	}
	out := invertPVC(in)
	want := []drv1.StorageClassMapping{{From: "standard", To: "gp2"}, {From: "fast", To: "io1"}}
	if len(out.StorageClassMappings) != 2 || out.StorageClassMappings[0] != want[0] || out.StorageClassMappings[1] != want[1] {
		t.Errorf("storage classes %v, want %v", out.StorageClassMappings, want)
	}
	if out.AccessModeMappings[0] != (drv1.AccessModeMapping{From: "ReadWriteOnce", To: "ReadWriteMany"}) || !out.PreserveVolumeName {
		t.Errorf("%+v", out)
	}
}

func TestDRSelector(t *testing.T) {
	every := (&Scope{}).drSelector()
	if !every.Matches(labels.Set{drv1.LabelMapping: "x"}) || every.Matches(labels.Set{}) {
		t.Errorf("flag form selects %v", every)
	}
	some := (&Scope{MappingIDs: []string{"ops.a", "ops.b"}}).drSelector()
	if !some.Matches(labels.Set{drv1.LabelMapping: "ops.b"}) || some.Matches(labels.Set{drv1.LabelMapping: "ops.c"}) {
		t.Errorf("mapping form selects %v", some)
	}
}

// TestScaleKindRoundTrip: a source custom resource with a scale subresource is parked at
// cutover through its kind's replicas path, which it records, and restored without the CRD.
func TestScaleKindRoundTrip(t *testing.T) {
	crd := &apiextensionsv1.CustomResourceDefinition{Spec: apiextensionsv1.CustomResourceDefinitionSpec{
		Group: "example.com", Names: apiextensionsv1.CustomResourceDefinitionNames{Kind: "Pool", Plural: "pools"},
		Versions: []apiextensionsv1.CustomResourceDefinitionVersion{
			{Name: "v1", Served: true, Subresources: &apiextensionsv1.CustomResourceSubresources{Scale: &apiextensionsv1.CustomResourceSubresourceScale{SpecReplicasPath: ".spec.old"}}},
			{Name: "v2", Served: true, Storage: true, Subresources: &apiextensionsv1.CustomResourceSubresources{Scale: &apiextensionsv1.CustomResourceSubresourceScale{SpecReplicasPath: ".spec.workers.count"}}},
		},
	}}
	k, ok := scaleKind(crd)
	if !ok || k.gvr.Version != "v2" || k.path != ".spec.workers.count" {
		t.Fatalf("scaleKind = %+v, %v; want the storage version v2", k, ok)
	}
	src := object(t, `{apiVersion: example.com/v2, kind: Pool, metadata: {name: p}, spec: {workers: {count: 4}}}`)
	parked, changed, err := parkSource([]workloadKind{k}, nil)(src)
	if err != nil || !changed || k.state(parked) != "count=0" {
		t.Fatalf("park: %v %v %s", changed, err, k.state(parked))
	}
	if got := parked.GetAnnotations()[drv1.AnnotationOriginalReplicasPath]; got != ".spec.workers.count" {
		t.Errorf("recorded path %q", got)
	}
	restored, changed, err := restoreSource(parked)
	if err != nil || !changed || k.state(restored) != "count=4" || len(restored.GetAnnotations()) != 0 {
		t.Errorf("restore: %v %v %s %v", changed, err, k.state(restored), restored.GetAnnotations())
	}
	if _, changed, _ := parkSource([]workloadKind{k}, nil)(parked); changed {
		t.Error("a second park changes something")
	}
}
