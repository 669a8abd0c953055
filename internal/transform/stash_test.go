package transform

import (
	"encoding/base64"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

func stashOpts() Options {
	o := testOpts
	o.Rules = map[schema.GroupKind]*Rule{gkKafka: {Name: "ops/stash", Stash: true}, gkDeployment: {Name: "ops/deploy", Stash: true}}
	return o
}

func TestToStash(t *testing.T) {
	opts := stashOpts()
	cases := []struct {
		name, in string
		// wantHeld is the object the stash must hold, completed by dest.
		wantHeld string
	}{{
		name:     "custom resource: the standby copy, in the DR namespace",
		in:       `{apiVersion: kafka.example.com/v1, kind: KafkaCluster, metadata: {name: events, uid: u1, resourceVersion: "7", labels: {team: a}}, spec: {brokers: 3}, status: {ready: true}}`,
		wantHeld: `{apiVersion: kafka.example.com/v1, kind: KafkaCluster, metadata: {name: events, labels: {team: a}, annotations: {dr-syncer.io/source-uid: u1}}, spec: {brokers: 3}}`,
	}, {
		name:     "a stashed Deployment is not parked: cutover creates it to run",
		in:       `{apiVersion: apps/v1, kind: Deployment, metadata: {name: web}, spec: {replicas: 3}}`,
		wantHeld: `{apiVersion: apps/v1, kind: Deployment, metadata: {name: web}, spec: {replicas: 3}}`,
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := parse(t, tc.in)
			before := in.DeepCopy()
			s, err := ToStash(in, opts)
			if err != nil {
				t.Fatal(err)
			}
			if !equality.Semantic.DeepEqual(before.Object, in.Object) {
				t.Fatal("input mutated")
			}
			if !IsStash(s) || s.GetNamespace() != opts.DestNamespace || s.GetName() != StashName(groupKind(in), in.GetName()) {
				t.Fatalf("stash Secret %s/%s, IsStash %v", s.GetNamespace(), s.GetName(), IsStash(s))
			}
			if s.GetLabels()[drv1.LabelMapping] != opts.MappingID || s.GetAnnotations()[drv1.AnnotationSource] == "" {
				t.Errorf("stash metadata %v %v: want the mapping label and the source annotation", s.GetLabels(), s.GetAnnotations())
			}
			if !strings.HasPrefix(ParkedSummary(s), "stashed: "+stashedRef(in)) {
				t.Errorf("ParkedSummary = %q", ParkedSummary(s))
			}
			held, err := Unstash(s)
			if err != nil {
				t.Fatal(err)
			}
			want := dest(t, tc.wantHeld)
			if !equality.Semantic.DeepEqual(held.Object, want.Object) {
				t.Errorf("held\n%v\nwant\n%v", held.Object, want.Object)
			}
			// Failback stashes a live object the same way, without what the DR API server set.
			live := held.DeepCopy()
			live.SetUID("dr-uid")
			live.SetResourceVersion("12")
			again, err := StashLive(live)
			if err != nil {
				t.Fatal(err)
			}
			back, _ := Unstash(again)
			if !equality.Semantic.DeepEqual(back.Object, held.Object) {
				t.Errorf("restashed %v, want %v", back.Object, held.Object)
			}
		})
	}
}

func TestToDestinationOfAStashedKindIsAnError(t *testing.T) {
	_, err := ToDestination(parse(t, `{apiVersion: kafka.example.com/v1, kind: KafkaCluster, metadata: {name: e}}`), stashOpts())
	if err == nil || !strings.Contains(err.Error(), "stashes") {
		t.Fatalf("error = %v", err)
	}
}

func TestUnstashRefusesForeignContent(t *testing.T) {
	good, err := ToStash(parse(t, `{apiVersion: kafka.example.com/v1, kind: KafkaCluster, metadata: {name: events}}`), stashOpts())
	if err != nil {
		t.Fatal(err)
	}
	with := func(data string) *unstructured.Unstructured {
		s := good.DeepCopy()
		_ = unstructured.SetNestedField(s.Object, base64.StdEncoding.EncodeToString([]byte(data)), "data", StashDataKey)
		return s
	}
	cases := map[string]*unstructured.Unstructured{
		"not JSON":        with("{"),
		"another object":  with(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","labels":{"dr-syncer.io/mapping":"m1"}}}`),
		"another mapping": with(`{"apiVersion":"kafka.example.com/v1","kind":"KafkaCluster","metadata":{"name":"events","labels":{"dr-syncer.io/mapping":"m2"}}}`),
		"not base64": func() *unstructured.Unstructured {
			s := good.DeepCopy()
			_ = unstructured.SetNestedField(s.Object, "%%", "data", StashDataKey)
			return s
		}(),
		"not a stash Secret": parse(t, `{apiVersion: v1, kind: Secret, metadata: {name: x}, type: Opaque}`),
	}
	for name, s := range cases {
		if _, err := Unstash(s); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestStashSecretsAreNeverSynced(t *testing.T) {
	s := parse(t, `{apiVersion: v1, kind: Secret, metadata: {name: dr-syncer-stash-1}, type: dr-syncer.io/stash}`)
	if SkipReason(s, testOpts) == "" {
		t.Error("a stash Secret in a synced namespace (a reverse sync) would be copied")
	}
}
