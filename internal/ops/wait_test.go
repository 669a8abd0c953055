package ops

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

// TestWorkloadReadiness: readiness is kstatus' Current, a ReplicationController is judged by the
// ReplicaSet rules (kstatus alone calls it current with no Pod ready), and the message of a
// workload that is not ready carries its own problem conditions.
func TestWorkloadReadiness(t *testing.T) {
	cases := []struct {
		name      string
		obj       string
		ready     bool
		inMessage string
	}{
		{"deployment up", `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, generation: 2}
spec: {replicas: 2}
status: {observedGeneration: 2, replicas: 2, readyReplicas: 2, availableReplicas: 2, updatedReplicas: 2,
  conditions: [{type: Available, status: "True"}, {type: Progressing, status: "True", reason: NewReplicaSetAvailable}]}
`, true, ""},
		{"deployment activated, not yet observed", `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, generation: 3}
spec: {replicas: 2}
status: {observedGeneration: 2, replicas: 0}
`, false, "InProgress"},
		{"deployment with an image that never pulls", `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, generation: 2}
spec: {replicas: 1}
status: {observedGeneration: 2, replicas: 1, updatedReplicas: 1, unavailableReplicas: 1,
  conditions: [{type: Available, status: "False", reason: MinimumReplicasUnavailable, message: "Deployment does not have minimum availability."},
    {type: ReplicaFailure, status: "True", message: "pods \"web-1\" is forbidden: exceeded quota"}]}
`, false, "exceeded quota"},
		{"replication controller without ready pods", `
apiVersion: v1
kind: ReplicationController
metadata: {name: legacy, generation: 2}
spec: {replicas: 2}
status: {observedGeneration: 2, replicas: 2, fullyLabeledReplicas: 2}
`, false, "Available: 0/2"},
		{"replication controller up", `
apiVersion: v1
kind: ReplicationController
metadata: {name: legacy, generation: 2}
spec: {replicas: 2}
status: {observedGeneration: 2, replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 2}
`, true, "ReplicationController is available. Replicas: 2"},
		{"job not started", `
apiVersion: batch/v1
kind: Job
metadata: {name: migrate, generation: 2}
spec: {suspend: false}
status: {}
`, false, "Job not started"},
		{"statefulset partly ready", `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, generation: 2}
spec: {replicas: 3}
status: {observedGeneration: 2, replicas: 3, readyReplicas: 1, currentReplicas: 3, updatedReplicas: 3}
`, false, "Ready: 1/3"},
		{"statefulset OnDelete without ready pods", `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, generation: 2}
spec: {replicas: 3, updateStrategy: {type: OnDelete}}
status: {observedGeneration: 2, replicas: 3, readyReplicas: 0, currentReplicas: 3, updatedReplicas: 3}
`, false, "Ready: 0/3"},
		{"statefulset OnDelete not yet scaled", `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, generation: 2}
spec: {replicas: 2, updateStrategy: {type: OnDelete}}
status: {observedGeneration: 2, replicas: 0}
`, false, "Replicas: 0/2"},
		{"statefulset OnDelete up, old revision kept", `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, generation: 2}
spec: {replicas: 2, updateStrategy: {type: OnDelete}}
status: {observedGeneration: 2, replicas: 2, readyReplicas: 2, currentReplicas: 2, updatedReplicas: 0,
  currentRevision: db-1, updateRevision: db-2}
`, true, "Ready: 2/2"},
		{"deployment paused", `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, generation: 2}
spec: {replicas: 2, paused: true}
status: {observedGeneration: 2,
  conditions: [{type: Progressing, status: Unknown, reason: DeploymentPaused, message: "Deployment is paused"}]}
`, false, "paused"},
	}
	// Why ReplicationControllers need the ReplicaSet rules: kstatus alone has none for them.
	if res, err := status.Compute(object(t, cases[3].obj)); err != nil || res.Status != status.CurrentStatus {
		t.Errorf("kstatus on a ReplicationController: %v %v; this test assumes it calls it Current (then the mapping to ReplicaSet rules may go)", res, err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ready, msg := workloadReadiness(object(t, c.obj))
			if ready != c.ready || !strings.Contains(msg, c.inMessage) {
				t.Errorf("ready=%t message %q; want ready=%t, message containing %q", ready, msg, c.ready, c.inMessage)
			}
		})
	}
}

// TestWaitRefs: a Job whose source had finished stays suspended when activated and is not waited
// for; a parked Job that activation resumes is; skipped keys are left out.
func TestWaitRefs(t *testing.T) {
	kinds := map[string]*workloadKind{}
	for i := range workloadKinds {
		kinds[workloadKinds[i].kind] = &workloadKinds[i]
	}
	ws := []workload{
		{kinds["Job"], object(t, `
apiVersion: batch/v1
kind: Job
metadata: {name: done, annotations: {dr-syncer.io/original-suspend: "false", dr-syncer.io/source-finished: Complete}}
spec: {suspend: true}
`)},
		{kinds["Job"], object(t, `
apiVersion: batch/v1
kind: Job
metadata: {name: resumed, annotations: {dr-syncer.io/original-suspend: "false"}}
spec: {suspend: true}
`)},
		{kinds["Deployment"], object(t, `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
`)},
		{kinds["Deployment"], object(t, `
apiVersion: apps/v1
kind: Deployment
metadata: {name: notparked}
`)},
	}
	refs := waitRefs(ws, map[string]bool{"Deployment/notparked": true})
	var got []string
	for _, r := range refs {
		got = append(got, r.Kind+"/"+r.Name)
	}
	if strings.Join(got, ",") != "Job/resumed,Deployment/web" {
		t.Errorf("waited for %v; want Job/resumed, Deployment/web", got)
	}
}

// TestDrillNamespaceName: <DR namespace>-drill, cut to a valid namespace name.
func TestDrillNamespaceName(t *testing.T) {
	if got := DrillNamespaceName("shop"); got != "shop-drill" {
		t.Errorf("got %q", got)
	}
	long := strings.Repeat("a", 63)
	if got := DrillNamespaceName(long); len(got) != 63 || !strings.HasSuffix(got, "-drill") {
		t.Errorf("got %q (%d characters)", got, len(got))
	}
	// A 63-character DR namespace that ends in -drill: cutting it and adding -drill again would
	// name the DR namespace itself (which the gate refuses: no default drill at all).
	self := strings.Repeat("b", 57) + "-drill"
	if got := DrillNamespaceName(self); got == self || len(got) > 63 {
		t.Errorf("DrillNamespaceName(%q) = %q: the DR namespace itself or too long", self, got)
	}
	// Two long DR namespaces that differ only after the cut get different drill namespaces.
	a, b := DrillNamespaceName(strings.Repeat("c", 60)+"-eu"), DrillNamespaceName(strings.Repeat("c", 60)+"-us")
	if a == b {
		t.Errorf("both long DR namespaces drill in %q", a)
	}
	for _, n := range []string{a, b, DrillNamespaceName(self)} {
		if errs := validation.IsDNS1123Label(n); len(errs) > 0 {
			t.Errorf("%q: %v", n, errs)
		}
	}
}

// TestScaleReadiness: a custom resource that kstatus calls current is ready only when its scale
// subresource reports as many replicas as it asks for.
func TestScaleReadiness(t *testing.T) {
	scale := func(spec, status int64) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{"apiVersion": "autoscaling/v1", "kind": "Scale",
			"spec": map[string]any{"replicas": spec}, "status": map[string]any{"replicas": status}}}
	}
	if ready, msg := scaleReadiness(scale(2, 0), "Resource is current"); ready || !strings.Contains(msg, "Replicas: 0/2") {
		t.Errorf("0 of 2: ready=%t %q", ready, msg)
	}
	if ready, msg := scaleReadiness(scale(2, 2), "Resource is current"); !ready || !strings.Contains(msg, "Resource is current; scale subresource: Replicas: 2/2") {
		t.Errorf("2 of 2: ready=%t %q", ready, msg)
	}
}
