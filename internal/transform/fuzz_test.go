package transform

import (
	"encoding/base64"

	"testing"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
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
	{"networking.k8s.io/v1", "Ingress"},
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
		{11, true, `{"metadata":{"name":"web","annotations":{"kubernetes.io/ingress.class":"nginx"}},"spec":{}}`},
		{4, false, `{"metadata":{"name":"lb"},"spec":{"type":"LoadBalancer","externalTrafficPolicy":"Local","ports":[{"port":80,"nodePort":30080},"x"]}}`},
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
		o.ParkNetworking = scaleToZero
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

// FuzzParkingRecords feeds rule fields and recorded annotations of any shape through
// ToDestination, Activate and Park: garbled input is an error, never a panic, and what a rule
// parks comes back, from the object alone, as it was.
func FuzzParkingRecords(f *testing.F) {
	f.Add("/spec/paused", []byte(`true`), "kafka.example.com/reconcile", []byte(`{"spec":{"paused":false,"brokers":3}}`), "")
	f.Add("/spec/a~1b/c", []byte(`{"x":[1,2]}`), "", []byte(`{"spec":{"a/b":{"c":"v"}}}`), "")
	f.Add("/spec/x", []byte(`1`), "", []byte(`{"spec":"flat"}`), "")
	f.Add("/spec/x", []byte(`1`), "", []byte(`{"spec":{}}`), `[{"path":"/spec/x","parked":1,"original":{"deep":true}}]`)
	f.Add("/spec/x", []byte(`"s"`), "a", []byte(`{}`), `[{"path":"spec"}]`)
	f.Fuzz(func(t *testing.T, path string, parked []byte, annotation string, body []byte, record string) {
		var m map[string]any
		if err := utiljson.Unmarshal(body, &m); err != nil || m == nil {
			t.Skip()
		}
		m["apiVersion"], m["kind"] = "example.com/v1", "Thing"
		metadata, _ := m["metadata"].(map[string]any)
		if metadata == nil {
			metadata = map[string]any{}
			m["metadata"] = metadata
		}
		metadata["name"] = "t"
		in := &unstructured.Unstructured{Object: m}

		rule := &Rule{Name: "fuzz/rule", Fields: []RuleField{{Path: path, Parked: parked}}}
		if annotation != "" {
			rule.Annotations = map[string]string{annotation: "parked"}
		}
		opts := testOpts
		opts.Rules = map[schema.GroupKind]*Rule{{Group: "example.com", Kind: "Thing"}: rule}
		before := in.DeepCopy()
		standby, err := ToDestination(in, opts)
		if !equality.Semantic.DeepEqual(before.Object, in.Object) {
			t.Fatal("ToDestination mutated its input")
		}
		if err == nil {
			active, _, err := Activate(standby)
			if err != nil {
				t.Fatalf("Activate of a fresh standby copy: %v", err)
			}
			// Activation brings back every field the rule touched as the source had it.
			want, _ := ToDestination(in, testOpts)
			for _, f := range []string{"spec", "data"} {
				if !equality.Semantic.DeepEqual(active.Object[f], want.Object[f]) {
					t.Fatalf("activated %s = %v, want %v", f, active.Object[f], want.Object[f])
				}
			}
			reparked, _, err := Park(active)
			if err != nil {
				t.Fatalf("Park of an activated copy: %v", err)
			}
			if !equality.Semantic.DeepEqual(reparked.Object["spec"], standby.Object["spec"]) {
				t.Fatalf("re-parked spec = %v, want %v", reparked.Object["spec"], standby.Object["spec"])
			}
		}

		// A record of any shape on a DR object: an error or a result, never a panic or a mutation.
		if record != "" {
			obj := in.DeepCopy()
			obj.SetAnnotations(map[string]string{drv1.AnnotationOriginalFields: record})
			snapshot := obj.DeepCopy()
			for _, step := range []func(*unstructured.Unstructured) (*unstructured.Unstructured, bool, error){Activate, Park} {
				_, _, _ = step(obj)
				if !equality.Semantic.DeepEqual(snapshot.Object, obj.Object) {
					t.Fatal("Activate/Park mutated its input")
				}
			}
		}
	})
}

// FuzzStash: whatever source object ToStash accepts, its stash Secret gives back, through
// Unstash, the object's standby copy; stash data of any shape is an error, never a panic.
func FuzzStash(f *testing.F) {
	f.Add([]byte(`{"metadata":{"name":"events","labels":{"a":"b"}},"spec":{"brokers":3}}`), []byte(`{}`))
	f.Add([]byte(`{"metadata":{"name":"x","annotations":null},"data":{"k":"dg=="}}`), []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}`))
	f.Add([]byte(`{"metadata":{"name":"x"}}`), []byte(`not json`))
	f.Fuzz(func(t *testing.T, body, data []byte) {
		var m map[string]any
		if err := utiljson.Unmarshal(body, &m); err != nil || m == nil {
			t.Skip()
		}
		m["apiVersion"], m["kind"] = "kafka.example.com/v1", "KafkaCluster"
		in := &unstructured.Unstructured{Object: m}
		opts := testOpts
		opts.Rules = map[schema.GroupKind]*Rule{{Group: "kafka.example.com", Kind: "KafkaCluster"}: {Name: "fuzz/stash", Stash: true}}
		s, err := ToStash(in, opts)
		if err == nil {
			held, err := Unstash(s)
			if err != nil {
				t.Fatalf("Unstash of a fresh stash: %v", err)
			}
			plain := opts
			plain.Rules = nil
			want, err := ToDestination(in, plain)
			if err == nil && !equality.Semantic.DeepEqual(held.Object, want.Object) {
				t.Fatalf("held %v, want %v", held.Object, want.Object)
			}
			if SkipReason(s, testOpts) == "" {
				t.Fatal("a stash Secret would be synced")
			}
			// Foreign data in the Secret: refused or decoded, never a panic.
			s.Object["data"] = map[string]any{StashDataKey: base64.StdEncoding.EncodeToString(data)}
			_, _ = Unstash(s)
		}
	})
}
