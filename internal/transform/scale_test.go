package transform

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

var gkPool = schema.GroupKind{Group: "example.com", Kind: "Pool"}

func scaleOpts(path string) *Options {
	o := testOpts
	o.ScaleReplicasPaths = map[schema.GroupKind]string{gkPool: path}
	return &o
}

func TestToDestinationScaleSubresource(t *testing.T) {
	keep := scaleOpts(".spec.replicas")
	keep.ScaleToZero = false
	runDestinationCases(t, []destinationCase{{
		name: "custom resource parked at 0 at its specReplicasPath, count and path recorded",
		opts: scaleOpts(".spec.workers.count"),
		in:   `{apiVersion: example.com/v1, kind: Pool, metadata: {name: p}, spec: {workers: {count: 4}}}`,
		want: `{apiVersion: example.com/v1, kind: Pool, metadata: {name: p, annotations: {dr-syncer.io/original-replicas: "4", dr-syncer.io/original-replicas-path: .spec.workers.count}}, spec: {workers: {count: 0}}}`,
	}, {
		name: "an unset count is recorded as empty and parked at 0",
		opts: scaleOpts(".spec.replicas"),
		in:   `{apiVersion: example.com/v1, kind: Pool, metadata: {name: p}, spec: {}}`,
		want: `{apiVersion: example.com/v1, kind: Pool, metadata: {name: p, annotations: {dr-syncer.io/original-replicas: "", dr-syncer.io/original-replicas-path: .spec.replicas}}, spec: {replicas: 0}}`,
	}, {
		name: "integer override sets the count",
		opts: scaleOpts(".spec.replicas"),
		in:   `{apiVersion: example.com/v1, kind: Pool, metadata: {name: p, labels: {dr-syncer.io/scale-override: "1"}}, spec: {replicas: 3}}`,
		want: `{apiVersion: example.com/v1, kind: Pool, metadata: {name: p, labels: {dr-syncer.io/scale-override: "1"}, annotations: {dr-syncer.io/original-replicas: "3", dr-syncer.io/original-replicas-path: .spec.replicas}}, spec: {replicas: 1}}`,
	}, {
		name: "without ScaleToZero the count stays",
		opts: keep,
		in:   `{apiVersion: example.com/v1, kind: Pool, metadata: {name: p}, spec: {replicas: 3}}`,
		want: `{apiVersion: example.com/v1, kind: Pool, metadata: {name: p}, spec: {replicas: 3}}`,
	}, {
		name: "a kind without a scale subresource is not parked",
		in:   `{apiVersion: example.com/v1, kind: Pool, metadata: {name: p}, spec: {replicas: 3}}`,
		want: `{apiVersion: example.com/v1, kind: Pool, metadata: {name: p}, spec: {replicas: 3}}`,
	}, {
		name: "source records are not copied",
		in:   `{apiVersion: example.com/v1, kind: Pool, metadata: {name: p, annotations: {dr-syncer.io/original-replicas: "9", dr-syncer.io/original-replicas-path: .spec.replicas}}, spec: {replicas: 3}}`,
		want: `{apiVersion: example.com/v1, kind: Pool, metadata: {name: p}, spec: {replicas: 3}}`,
	}, {
		name:    "a count of the wrong type is an error",
		opts:    scaleOpts(".spec.replicas"),
		in:      `{apiVersion: example.com/v1, kind: Pool, metadata: {name: p}, spec: {replicas: three}}`,
		wantErr: "replicas",
	}, {
		name:    "a path outside .spec is an error",
		opts:    scaleOpts(".status.replicas"),
		in:      `{apiVersion: example.com/v1, kind: Pool, metadata: {name: p}, spec: {replicas: 3}}`,
		wantErr: "specReplicasPath",
	}})
}

func TestParseReplicasPath(t *testing.T) {
	for path, want := range map[string]string{
		".spec.replicas":        "spec/replicas",
		".spec.workers.count":   "spec/workers/count",
		"spec.replicas":         "",
		".spec":                 "",
		".status.replicas":      "",
		".spec..replicas":       "",
		".spec.workers[0].size": "",
	} {
		fields, err := ParseReplicasPath(path)
		if got := strings.Join(fields, "/"); got != want || (err == nil) != (want != "") {
			t.Errorf("%q: %q, %v; want %q", path, got, err, want)
		}
	}
}

// TestScaleSubresourceRoundTrip: sync, cutover, failback and cutover again, with only the
// recorded path to go by.
func TestScaleSubresourceRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name, source string
		live         any
	}{
		{"set count", `{apiVersion: example.com/v1, kind: Pool, metadata: {name: p}, spec: {workers: {count: 4}}}`, int64(4)},
		{"unset count", `{apiVersion: example.com/v1, kind: Pool, metadata: {name: p}, spec: {workers: {}}}`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			count := func(obj *unstructured.Unstructured) any {
				v, _, _ := unstructured.NestedFieldNoCopy(obj.Object, "spec", "workers", "count")
				return v
			}
			standby, err := ToDestination(parse(t, tc.source), *scaleOpts(".spec.workers.count"))
			if err != nil {
				t.Fatal(err)
			}
			active, changed := activateOrPark(t, Activate, standby)
			if !changed || count(active) != tc.live {
				t.Fatalf("activate: changed=%v count=%v, want %v", changed, count(active), tc.live)
			}
			if _, changed := activateOrPark(t, Activate, active); changed {
				t.Error("a second activate changed something")
			}
			parked, changed := activateOrPark(t, Park, active)
			if !changed || count(parked) != int64(0) {
				t.Fatalf("park: changed=%v count=%v", changed, count(parked))
			}
			if got := parked.GetAnnotations()[drv1.AnnotationOriginalReplicas]; got != standby.GetAnnotations()[drv1.AnnotationOriginalReplicas] {
				t.Errorf("park recorded %q", got)
			}
			if _, changed := activateOrPark(t, Park, parked); changed {
				t.Error("a second park changed something")
			}
			again, _ := activateOrPark(t, Activate, parked)
			if count(again) != tc.live {
				t.Errorf("activate after failback: %v, want %v", count(again), tc.live)
			}
		})
	}
}

func TestScaleSubresourceGarbledPath(t *testing.T) {
	in := parse(t, `{apiVersion: example.com/v1, kind: Pool, metadata: {name: p, annotations: {dr-syncer.io/original-replicas: "3", dr-syncer.io/original-replicas-path: "status"}}, spec: {}}`)
	for name, f := range map[string]func(*unstructured.Unstructured) (*unstructured.Unstructured, bool, error){"Activate": Activate, "Park": Park} {
		if _, _, err := f(in); err == nil || !strings.Contains(err.Error(), drv1.AnnotationOriginalReplicasPath) {
			t.Errorf("%s: error = %v, want one naming %s", name, err, drv1.AnnotationOriginalReplicasPath)
		}
	}
	// Without the path, a custom resource is never parked or activated.
	plain := parse(t, `{apiVersion: example.com/v1, kind: Pool, metadata: {name: p, annotations: {dr-syncer.io/original-replicas: "3"}}, spec: {replicas: 0}}`)
	if _, changed := activateOrPark(t, Activate, plain); changed {
		t.Error("activated a custom resource without a recorded path")
	}
}
