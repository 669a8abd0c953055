package transform

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// fuzzKinds are the kinds with their own rules, plus one without.
var fuzzKinds = []struct{ apiVersion, kind string }{
	{"apps/v1", "Deployment"},
	{"apps/v1", "StatefulSet"},
	{"apps/v1", "DaemonSet"},
	{"batch/v1", "CronJob"},
	{"v1", "Service"},
	{"v1", "PersistentVolumeClaim"},
	{"v1", "ServiceAccount"},
	{"rbac.authorization.k8s.io/v1", "RoleBinding"},
	{"v1", "ConfigMap"},
	{"kubevirt.io/v1", "VirtualMachine"},
	{"postgresql.cnpg.io/v1", "Cluster"},
}

func FuzzToDestination(f *testing.F) {
	seeds := []struct {
		kind      byte
		scaleZero bool
		body      string
	}{
		{0, true, `{"metadata":{"name":"web","uid":"u1","resourceVersion":"9","labels":{"dr-syncer.io/scale-override":"2"},"managedFields":[{"manager":"m"}]},"spec":{"replicas":3},"status":{"replicas":3}}`},
		{1, false, `{"metadata":{"name":"db","annotations":{"dr-syncer.io/original-replicas":"x"}},"spec":{"replicas":1}}`},
		{2, true, `{"metadata":{"name":"agent"},"spec":{"template":{"spec":{"nodeSelector":{"os":"linux"}}}}}`},
		{3, true, `{"metadata":{"name":"nightly"},"spec":{"schedule":"@daily","suspend":false}}`},
		{4, true, `{"metadata":{"name":"web"},"spec":{"clusterIP":"None","ipFamilies":["IPv4"],"ports":[{"port":80,"nodePort":30080}]}}`},
		{5, true, `{"metadata":{"name":"data","annotations":{"pv.kubernetes.io/bind-completed":"yes"}},"spec":{"accessModes":["ReadWriteOncePod","ReadWriteOnce"],"storageClassName":"gp3","volumeName":"pv-1","resources":{"requests":{"storage":"1Gi"}}}}`},
		{6, true, `{"metadata":{"name":"app"},"secrets":[{"name":"t"}]}`},
		{7, true, `{"metadata":{"name":"rb"},"subjects":[{"kind":"ServiceAccount","name":"a","namespace":"shop"}]}`},
		{8, true, `{"metadata":{"name":"c","labels":null},"data":{"k":"v"}}`},
		{9, true, `{"metadata":{"name":"vm","annotations":{"dr-syncer.io/original-run-strategy":"running=true"}},"spec":{"running":true}}`},
		{10, true, `{"metadata":{"name":"pg","annotations":{"cnpg.io/hibernation":"off"}},"spec":{"instances":3}}`},
	}
	for _, s := range seeds {
		f.Add(s.kind, s.scaleZero, []byte(s.body))
	}

	opts := testOpts
	opts.PVC = drv1.PVCConfig{
		StorageClassMappings: []drv1.StorageClassMapping{{From: "gp3", To: "premium"}},
		AccessModeMappings:   []drv1.AccessModeMapping{{From: "ReadWriteOncePod", To: "ReadWriteOnce"}},
	}

	f.Fuzz(func(t *testing.T, kind byte, scaleToZero bool, body []byte) {
		var m map[string]any
		// The apimachinery decoder yields int64 for integers, as objects from a client do.
		if err := utiljson.Unmarshal(body, &m); err != nil || m == nil {
			t.Skip()
		}
		k := fuzzKinds[int(kind)%len(fuzzKinds)]
		m["apiVersion"], m["kind"] = k.apiVersion, k.kind
		in := &unstructured.Unstructured{Object: m}
		before := in.DeepCopy()

		o := opts
		o.ScaleToZero = scaleToZero
		out, err := ToDestination(in, o)
		if !equality.Semantic.DeepEqual(before.Object, in.Object) {
			t.Fatalf("input mutated:\nbefore %v\nafter  %v", before.Object, in.Object)
		}
		_ = SkipReason(in, testOpts)
		if err != nil {
			return // garbled objects are reported, not transformed
		}
		if ns, _, _ := unstructured.NestedString(out.Object, "metadata", "namespace"); ns != o.DestNamespace {
			t.Errorf("namespace = %q, want %q", ns, o.DestNamespace)
		}
		if got := out.GetLabels()[drv1.LabelMapping]; got != o.MappingID {
			t.Errorf("mapping label = %q, want %q", got, o.MappingID)
		}
		if _, found := out.Object["status"]; found {
			t.Error("status kept")
		}
		for _, f := range []string{"uid", "resourceVersion", "managedFields"} {
			if _, found, _ := unstructured.NestedFieldNoCopy(out.Object, "metadata", f); found {
				t.Errorf("metadata.%s kept", f)
			}
		}

		// Whatever ToDestination accepts, Activate and Park must handle without touching it.
		for _, step := range []func(*unstructured.Unstructured) (*unstructured.Unstructured, bool, error){Activate, Park} {
			snapshot := out.DeepCopy()
			_, _, _ = step(out)
			if !equality.Semantic.DeepEqual(snapshot.Object, out.Object) {
				t.Fatal("Activate/Park mutated its input")
			}
		}
	})
}
