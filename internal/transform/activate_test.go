package transform

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// activateOrPark runs Activate or Park and fails the test if it touched its input.
func activateOrPark(t *testing.T, f func(*unstructured.Unstructured) (*unstructured.Unstructured, bool, error), in *unstructured.Unstructured) (*unstructured.Unstructured, bool) {
	t.Helper()
	before := in.DeepCopy()
	out, changed, err := f(in)
	if err != nil {
		t.Fatal(err)
	}
	if !equality.Semantic.DeepEqual(before.Object, in.Object) {
		t.Fatalf("input mutated:\nbefore %v\nafter  %v", before.Object, in.Object)
	}
	if !changed && !equality.Semantic.DeepEqual(out.Object, in.Object) {
		t.Fatalf("changed=false but the object differs:\nin  %v\nout %v", in.Object, out.Object)
	}
	return out, changed
}

// TestActivateParkRoundTrip follows a workload through sync, cutover, failback and cutover again.
func TestActivateParkRoundTrip(t *testing.T) {
	cases := []struct {
		name       string
		source     string
		field      []string
		annotation string
		live       any // the source value, which Activate must bring back
		parked     any
	}{
		{
			name:       "deployment",
			source:     `{apiVersion: apps/v1, kind: Deployment, metadata: {name: web, uid: u1}, spec: {replicas: 3}}`,
			field:      replicasPath,
			annotation: drv1.AnnotationOriginalReplicas,
			live:       int64(3),
			parked:     int64(0),
		},
		{
			name:       "statefulset",
			source:     `{apiVersion: apps/v1, kind: StatefulSet, metadata: {name: db}, spec: {replicas: 2}}`,
			field:      replicasPath,
			annotation: drv1.AnnotationOriginalReplicas,
			live:       int64(2),
			parked:     int64(0),
		},
		{
			name:       "replicationcontroller",
			source:     `{apiVersion: v1, kind: ReplicationController, metadata: {name: legacy}, spec: {replicas: 4}}`,
			field:      replicasPath,
			annotation: drv1.AnnotationOriginalReplicas,
			live:       int64(4),
			parked:     int64(0),
		},
		{
			name:       "replicaset",
			source:     `{apiVersion: apps/v1, kind: ReplicaSet, metadata: {name: bare}, spec: {replicas: 2}}`,
			field:      replicasPath,
			annotation: drv1.AnnotationOriginalReplicas,
			live:       int64(2),
			parked:     int64(0),
		},
		{
			name:       "cronjob",
			source:     `{apiVersion: batch/v1, kind: CronJob, metadata: {name: nightly}, spec: {schedule: "@daily", suspend: false}}`,
			field:      suspendPath,
			annotation: drv1.AnnotationOriginalSuspend,
			live:       false,
			parked:     true,
		},
		{
			name:       "flux kustomization without suspend",
			source:     `{apiVersion: kustomize.toolkit.fluxcd.io/v1, kind: Kustomization, metadata: {name: apps}, spec: {interval: 10m}}`,
			field:      suspendPath,
			annotation: drv1.AnnotationOriginalSuspend,
			live:       false,
			parked:     true,
		},
		{
			name:       "flux helmrelease",
			source:     `{apiVersion: helm.toolkit.fluxcd.io/v2, kind: HelmRelease, metadata: {name: redis}, spec: {suspend: false}}`,
			field:      suspendPath,
			annotation: drv1.AnnotationOriginalSuspend,
			live:       false,
			parked:     true,
		},
		{
			name:       "keda scaledobject without the pause annotation",
			source:     `{apiVersion: keda.sh/v1alpha1, kind: ScaledObject, metadata: {name: web}, spec: {scaleTargetRef: {name: web}}}`,
			field:      []string{"metadata", "annotations", KEDAPausedAnnotation},
			annotation: drv1.AnnotationOriginalPaused,
			live:       nil,
			parked:     "true",
		},
		{
			name:       "keda scaledjob paused false",
			source:     `{apiVersion: keda.sh/v1alpha1, kind: ScaledJob, metadata: {name: batch, annotations: {autoscaling.keda.sh/paused: "false"}}, spec: {}}`,
			field:      []string{"metadata", "annotations", KEDAPausedAnnotation},
			annotation: drv1.AnnotationOriginalPaused,
			live:       "false",
			parked:     "true",
		},
		{
			name:       "kubevirt virtualmachine with runStrategy",
			source:     `{apiVersion: kubevirt.io/v1, kind: VirtualMachine, metadata: {name: vm}, spec: {runStrategy: RerunOnFailure}}`,
			field:      runStrategyPath,
			annotation: drv1.AnnotationOriginalRunStrategy,
			live:       "RerunOnFailure",
			parked:     "Halted",
		},
		{
			name:       "kubevirt virtualmachine with running",
			source:     `{apiVersion: kubevirt.io/v1, kind: VirtualMachine, metadata: {name: vm}, spec: {running: true}}`,
			field:      runningPath,
			annotation: drv1.AnnotationOriginalRunStrategy,
			live:       true,
			parked:     nil, // Halted is set in runStrategy; running is removed (both are refused)
		},
		{
			name:       "cnpg cluster without hibernation",
			source:     `{apiVersion: postgresql.cnpg.io/v1, kind: Cluster, metadata: {name: pg}, spec: {instances: 3}}`,
			field:      []string{"metadata", "annotations", CNPGHibernationAnnotation},
			annotation: drv1.AnnotationOriginalHibernation,
			live:       nil,
			parked:     "on",
		},
		{
			name:       "cnpg cluster hibernation off",
			source:     `{apiVersion: postgresql.cnpg.io/v1, kind: Cluster, metadata: {name: pg, annotations: {cnpg.io/hibernation: "off"}}, spec: {instances: 3}}`,
			field:      []string{"metadata", "annotations", CNPGHibernationAnnotation},
			annotation: drv1.AnnotationOriginalHibernation,
			live:       "off",
			parked:     "on",
		},
		{
			name:       "daemonset",
			source:     `{apiVersion: apps/v1, kind: DaemonSet, metadata: {name: agent}, spec: {template: {spec: {nodeSelector: {kubernetes.io/os: linux}}}}}`,
			field:      nodeSelectorPath,
			annotation: drv1.AnnotationOriginalNodeSelector,
			live:       map[string]any{"kubernetes.io/os": "linux"},
			parked:     map[string]any{ParkedNodeSelectorKey: "true"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			value := func(obj *unstructured.Unstructured) any {
				v, _, _ := unstructured.NestedFieldNoCopy(obj.Object, tc.field...)
				return v
			}
			expect := func(step string, obj *unstructured.Unstructured, changed, wantChanged bool, want any) {
				t.Helper()
				if changed != wantChanged {
					t.Errorf("%s: changed = %v, want %v", step, changed, wantChanged)
				}
				if got := value(obj); !equality.Semantic.DeepEqual(got, want) {
					t.Errorf("%s: %v = %v, want %v", step, tc.field, got, want)
				}
			}

			standby, err := ToDestination(parse(t, tc.source), testOpts)
			if err != nil {
				t.Fatal(err)
			}
			expect("synced", standby, false, false, tc.parked)
			recorded := standby.GetAnnotations()[tc.annotation]

			active, changed := activateOrPark(t, Activate, standby)
			expect("activate", active, changed, true, tc.live)
			if got := active.GetAnnotations()[tc.annotation]; got != recorded {
				t.Errorf("activate changed the annotation to %q, want %q kept", got, recorded)
			}
			again, changed := activateOrPark(t, Activate, active)
			expect("activate again", again, changed, false, tc.live)

			parked, changed := activateOrPark(t, Park, active)
			expect("park", parked, changed, true, tc.parked)
			if got := parked.GetAnnotations()[tc.annotation]; got != recorded {
				t.Errorf("park recorded %q, want %q", got, recorded)
			}
			parkedAgain, changed := activateOrPark(t, Park, parked)
			expect("park again", parkedAgain, changed, false, tc.parked)
			if got := parkedAgain.GetAnnotations()[tc.annotation]; got != recorded {
				t.Errorf("second park overwrote the record with %q, want %q", got, recorded)
			}

			reactivated, changed := activateOrPark(t, Activate, parkedAgain)
			expect("activate after failback", reactivated, changed, true, tc.live)
		})
	}
}

func TestParkRecordsLiveValue(t *testing.T) {
	// Scaled up in DR after cutover: failback must remember the new count, not the old record.
	in := parse(t, `{apiVersion: apps/v1, kind: Deployment, metadata: {name: web, annotations: {dr-syncer.io/original-replicas: "3"}}, spec: {replicas: 7}}`)
	out, changed := activateOrPark(t, Park, in)
	if !changed {
		t.Fatal("Park reported no change")
	}
	if got := out.GetAnnotations()[drv1.AnnotationOriginalReplicas]; got != "7" {
		t.Errorf("recorded %q, want 7", got)
	}
	if n, _, _ := unstructured.NestedInt64(out.Object, replicasPath...); n != 0 {
		t.Errorf("replicas = %d, want 0", n)
	}

	// No replicas field means the default 1, which is what Activate must restore.
	in = parse(t, `{apiVersion: apps/v1, kind: Deployment, metadata: {name: web}, spec: {}}`)
	out, _ = activateOrPark(t, Park, in)
	if got := out.GetAnnotations()[drv1.AnnotationOriginalReplicas]; got != "1" {
		t.Errorf("recorded %q for missing replicas, want 1", got)
	}
}

func TestActivateNothingToDo(t *testing.T) {
	cases := []struct{ name, in string }{
		{"no annotation", `{apiVersion: apps/v1, kind: Deployment, metadata: {name: web}, spec: {replicas: 0}}`},
		{"recorded value in another spelling", `{apiVersion: apps/v1, kind: Deployment, metadata: {name: web, annotations: {dr-syncer.io/original-replicas: "03"}}, spec: {replicas: 3}}`},
		{"default replicas already match", `{apiVersion: apps/v1, kind: Deployment, metadata: {name: web, annotations: {dr-syncer.io/original-replicas: "1"}}, spec: {}}`},
		{"empty selector recorded, none set", `{apiVersion: apps/v1, kind: DaemonSet, metadata: {name: a, annotations: {dr-syncer.io/original-node-selector: "{}"}}, spec: {template: {spec: {}}}}`},
		{"kind never parked", `{apiVersion: v1, kind: ConfigMap, metadata: {name: c, annotations: {dr-syncer.io/original-replicas: "3"}}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, changed := activateOrPark(t, Activate, parse(t, tc.in)); changed {
				t.Error("changed = true, want false")
			}
		})
	}
}

func TestActivateRestoresEmptySelector(t *testing.T) {
	in := parse(t, `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: a, annotations: {dr-syncer.io/original-node-selector: "{}"}}
spec: {template: {spec: {nodeSelector: {dr-syncer.io/parked: "true"}}}}
`)
	out, changed := activateOrPark(t, Activate, in)
	if !changed {
		t.Fatal("changed = false")
	}
	if _, found, _ := unstructured.NestedFieldNoCopy(out.Object, nodeSelectorPath...); found {
		t.Error("nodeSelector still set; want it removed")
	}
}

func TestActivateGarbledAnnotation(t *testing.T) {
	cases := []struct{ name, in, wantErr string }{
		{"replicas", `{apiVersion: apps/v1, kind: StatefulSet, metadata: {name: db, annotations: {dr-syncer.io/original-replicas: many}}, spec: {replicas: 0}}`, "original-replicas"},
		{"negative replicas", `{apiVersion: apps/v1, kind: Deployment, metadata: {name: web, annotations: {dr-syncer.io/original-replicas: "-2"}}, spec: {replicas: 0}}`, "original-replicas"},
		{"suspend", `{apiVersion: batch/v1, kind: CronJob, metadata: {name: j, annotations: {dr-syncer.io/original-suspend: "yes"}}, spec: {suspend: true}}`, "original-suspend"},
		{"run strategy", `{apiVersion: kubevirt.io/v1, kind: VirtualMachine, metadata: {name: vm, annotations: {dr-syncer.io/original-run-strategy: "running=maybe"}}, spec: {runStrategy: Halted}}`, "original-run-strategy"},
		{"node selector", `{apiVersion: apps/v1, kind: DaemonSet, metadata: {name: a, annotations: {dr-syncer.io/original-node-selector: "os=linux"}}, spec: {}}`, "original-node-selector"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Activate(parse(t, tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestParkOtherKinds(t *testing.T) {
	in := parse(t, `{apiVersion: v1, kind: Service, metadata: {name: web}, spec: {type: ClusterIP}}`)
	if _, changed := activateOrPark(t, Park, in); changed {
		t.Error("Park changed a Service")
	}
	if _, _, err := Park(nil); err == nil {
		t.Error("Park(nil) returned no error")
	}
	if _, _, err := Activate(nil); err == nil {
		t.Error("Activate(nil) returned no error")
	}
}

// TestHibernatedClusterStaysHibernated: a CloudNativePG Cluster hibernated in production is
// hibernated in DR, records "on", and stays hibernated through cutover and failback (nothing to
// change either way).
func TestHibernatedClusterStaysHibernated(t *testing.T) {
	standby, err := ToDestination(parse(t, `{apiVersion: postgresql.cnpg.io/v1, kind: Cluster, metadata: {name: pg, annotations: {cnpg.io/hibernation: "on"}}, spec: {instances: 3}}`), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	if got := standby.GetAnnotations()[drv1.AnnotationOriginalHibernation]; got != "on" {
		t.Fatalf("recorded %q, want on", got)
	}
	for _, step := range []struct {
		name string
		fn   func(*unstructured.Unstructured) (*unstructured.Unstructured, bool, error)
	}{{"cutover", Activate}, {"failback", Park}, {"cutover again", Activate}} {
		out, changed := activateOrPark(t, step.fn, standby)
		if changed || out.GetAnnotations()[CNPGHibernationAnnotation] != "on" {
			t.Errorf("%s: changed %v, hibernation %q; want hibernated, unchanged", step.name, changed, out.GetAnnotations()[CNPGHibernationAnnotation])
		}
		standby = out
	}
}
