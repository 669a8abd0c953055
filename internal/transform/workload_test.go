package transform

import (
	"strings"
	"testing"
)

func TestToDestinationWorkloads(t *testing.T) {
	keep := testOpts
	keep.ScaleToZero = false

	runDestinationCases(t, []destinationCase{{
		name: "deployment scaled to zero, source count recorded",
		in:   `{apiVersion: apps/v1, kind: Deployment, metadata: {name: web}, spec: {replicas: 3}}`,
		want: `{apiVersion: apps/v1, kind: Deployment, metadata: {name: web, annotations: {dr-syncer.io/original-replicas: "3"}}, spec: {replicas: 0}}`,
	}, {
		name: "missing replicas recorded as the default 1",
		in:   `{apiVersion: apps/v1, kind: Deployment, metadata: {name: web}, spec: {}}`,
		want: `{apiVersion: apps/v1, kind: Deployment, metadata: {name: web, annotations: {dr-syncer.io/original-replicas: "1"}}, spec: {replicas: 0}}`,
	}, {
		name: "statefulset scaled to zero",
		in:   `{apiVersion: apps/v1, kind: StatefulSet, metadata: {name: db}, spec: {replicas: 5, serviceName: db}}`,
		want: `{apiVersion: apps/v1, kind: StatefulSet, metadata: {name: db, annotations: {dr-syncer.io/original-replicas: "5"}}, spec: {replicas: 0, serviceName: db}}`,
	}, {
		name: "replicationcontroller scaled to zero",
		in:   `{apiVersion: v1, kind: ReplicationController, metadata: {name: legacy}, spec: {replicas: 4, selector: {app: legacy}}}`,
		want: `{apiVersion: v1, kind: ReplicationController, metadata: {name: legacy, annotations: {dr-syncer.io/original-replicas: "4"}}, spec: {replicas: 0, selector: {app: legacy}}}`,
	}, {
		name: "replicaset scaled to zero",
		in:   `{apiVersion: apps/v1, kind: ReplicaSet, metadata: {name: bare}, spec: {replicas: 2}}`,
		want: `{apiVersion: apps/v1, kind: ReplicaSet, metadata: {name: bare, annotations: {dr-syncer.io/original-replicas: "2"}}, spec: {replicas: 0}}`,
	}, {
		name: "replicationcontroller integer override sets the count",
		in:   `{apiVersion: v1, kind: ReplicationController, metadata: {name: legacy, labels: {dr-syncer.io/scale-override: "1"}}, spec: {replicas: 4}}`,
		want: `{apiVersion: v1, kind: ReplicationController, metadata: {name: legacy, labels: {dr-syncer.io/scale-override: "1"}, annotations: {dr-syncer.io/original-replicas: "4"}}, spec: {replicas: 1}}`,
	}, {
		name: "override true keeps the source count and still records it",
		in:   `{apiVersion: apps/v1, kind: Deployment, metadata: {name: web, labels: {dr-syncer.io/scale-override: "true"}}, spec: {replicas: 3}}`,
		want: `{apiVersion: apps/v1, kind: Deployment, metadata: {name: web, labels: {dr-syncer.io/scale-override: "true"}, annotations: {dr-syncer.io/original-replicas: "3"}}, spec: {replicas: 3}}`,
	}, {
		name: "integer override sets the count",
		in:   `{apiVersion: apps/v1, kind: StatefulSet, metadata: {name: db, labels: {dr-syncer.io/scale-override: "1"}}, spec: {replicas: 3}}`,
		want: `{apiVersion: apps/v1, kind: StatefulSet, metadata: {name: db, labels: {dr-syncer.io/scale-override: "1"}, annotations: {dr-syncer.io/original-replicas: "3"}}, spec: {replicas: 1}}`,
	}, {
		name: "override 0 is a valid count",
		in:   `{apiVersion: apps/v1, kind: Deployment, metadata: {name: web, labels: {dr-syncer.io/scale-override: "0"}}, spec: {replicas: 3}}`,
		want: `{apiVersion: apps/v1, kind: Deployment, metadata: {name: web, labels: {dr-syncer.io/scale-override: "0"}, annotations: {dr-syncer.io/original-replicas: "3"}}, spec: {replicas: 0}}`,
	}, {
		name:    "override abc is an error naming label and value",
		in:      `{apiVersion: apps/v1, kind: Deployment, metadata: {name: web, labels: {dr-syncer.io/scale-override: abc}}, spec: {replicas: 3}}`,
		wantErr: `label dr-syncer.io/scale-override="abc"`,
	}, {
		name:    "negative override is an error",
		in:      `{apiVersion: apps/v1, kind: Deployment, metadata: {name: web, labels: {dr-syncer.io/scale-override: "-1"}}, spec: {replicas: 3}}`,
		wantErr: `"-1"`,
	}, {
		name:    "override beyond int32 is an error",
		in:      `{apiVersion: apps/v1, kind: Deployment, metadata: {name: web, labels: {dr-syncer.io/scale-override: "3000000000"}}, spec: {replicas: 3}}`,
		wantErr: `"3000000000"`,
	}, {
		name:    "override abc is an error without ScaleToZero too",
		opts:    &keep,
		in:      `{apiVersion: apps/v1, kind: Deployment, metadata: {name: web, labels: {dr-syncer.io/scale-override: abc}}, spec: {replicas: 3}}`,
		wantErr: "scale-override",
	}, {
		name:    "replicas of the wrong type is an error",
		in:      `{apiVersion: apps/v1, kind: Deployment, metadata: {name: web}, spec: {replicas: "3"}}`,
		wantErr: "replicas",
	}, {
		name: "without ScaleToZero the source count stays",
		opts: &keep,
		in:   `{apiVersion: apps/v1, kind: Deployment, metadata: {name: web}, spec: {replicas: 3}}`,
		want: `{apiVersion: apps/v1, kind: Deployment, metadata: {name: web}, spec: {replicas: 3}}`,
	}, {
		name: "without ScaleToZero override true changes nothing",
		opts: &keep,
		in:   `{apiVersion: apps/v1, kind: Deployment, metadata: {name: web, labels: {dr-syncer.io/scale-override: "true"}}, spec: {replicas: 3}}`,
		want: `{apiVersion: apps/v1, kind: Deployment, metadata: {name: web, labels: {dr-syncer.io/scale-override: "true"}}, spec: {replicas: 3}}`,
	}, {
		name: "without ScaleToZero an integer override is honoured and the source count recorded",
		opts: &keep,
		in:   `{apiVersion: apps/v1, kind: Deployment, metadata: {name: web, labels: {dr-syncer.io/scale-override: "2"}}, spec: {replicas: 3}}`,
		want: `{apiVersion: apps/v1, kind: Deployment, metadata: {name: web, labels: {dr-syncer.io/scale-override: "2"}, annotations: {dr-syncer.io/original-replicas: "3"}}, spec: {replicas: 2}}`,
	}, {
		name: "scale-override means nothing on other kinds",
		in:   `{apiVersion: v1, kind: ConfigMap, metadata: {name: c, labels: {dr-syncer.io/scale-override: abc}}, data: {replicas: "3"}}`,
		want: `{apiVersion: v1, kind: ConfigMap, metadata: {name: c, labels: {dr-syncer.io/scale-override: abc}}, data: {replicas: "3"}}`,
	}, {
		name: "a Deployment kind of another group is not scaled",
		in:   `{apiVersion: example.com/v1, kind: Deployment, metadata: {name: web}, spec: {replicas: 3}}`,
		want: `{apiVersion: example.com/v1, kind: Deployment, metadata: {name: web}, spec: {replicas: 3}}`,
	}, {
		name: "cronjob without suspend is suspended, false recorded",
		in:   `{apiVersion: batch/v1, kind: CronJob, metadata: {name: nightly}, spec: {schedule: "@daily"}}`,
		want: `{apiVersion: batch/v1, kind: CronJob, metadata: {name: nightly, annotations: {dr-syncer.io/original-suspend: "false"}}, spec: {schedule: "@daily", suspend: true}}`,
	}, {
		name: "suspended cronjob records true",
		in:   `{apiVersion: batch/v1, kind: CronJob, metadata: {name: nightly}, spec: {schedule: "@daily", suspend: true}}`,
		want: `{apiVersion: batch/v1, kind: CronJob, metadata: {name: nightly, annotations: {dr-syncer.io/original-suspend: "true"}}, spec: {schedule: "@daily", suspend: true}}`,
	}, {
		name: "cronjob is suspended even without ScaleToZero",
		opts: &keep,
		in:   `{apiVersion: batch/v1, kind: CronJob, metadata: {name: nightly}, spec: {suspend: false}}`,
		want: `{apiVersion: batch/v1, kind: CronJob, metadata: {name: nightly, annotations: {dr-syncer.io/original-suspend: "false"}}, spec: {suspend: true}}`,
	}, {
		name: "flux kustomization is suspended, false recorded",
		in:   `{apiVersion: kustomize.toolkit.fluxcd.io/v1, kind: Kustomization, metadata: {name: apps}, spec: {interval: 10m}}`,
		want: `{apiVersion: kustomize.toolkit.fluxcd.io/v1, kind: Kustomization, metadata: {name: apps, annotations: {dr-syncer.io/original-suspend: "false"}}, spec: {interval: 10m, suspend: true}}`,
	}, {
		name: "flux helmrelease is suspended even without ScaleToZero",
		opts: &keep,
		in:   `{apiVersion: helm.toolkit.fluxcd.io/v2, kind: HelmRelease, metadata: {name: redis}, spec: {suspend: false}}`,
		want: `{apiVersion: helm.toolkit.fluxcd.io/v2, kind: HelmRelease, metadata: {name: redis, annotations: {dr-syncer.io/original-suspend: "false"}}, spec: {suspend: true}}`,
	}, {
		name: "keda scaledobject is paused, no pause recorded as empty",
		in:   `{apiVersion: keda.sh/v1alpha1, kind: ScaledObject, metadata: {name: web}, spec: {minReplicaCount: 1}}`,
		want: `{apiVersion: keda.sh/v1alpha1, kind: ScaledObject, metadata: {name: web, annotations: {autoscaling.keda.sh/paused: "true", dr-syncer.io/original-paused: ""}}, spec: {minReplicaCount: 1}}`,
	}, {
		name: "keda scaledjob keeps its own pause value on record",
		in:   `{apiVersion: keda.sh/v1alpha1, kind: ScaledJob, metadata: {name: batch, annotations: {autoscaling.keda.sh/paused: "false"}}, spec: {}}`,
		want: `{apiVersion: keda.sh/v1alpha1, kind: ScaledJob, metadata: {name: batch, annotations: {autoscaling.keda.sh/paused: "true", dr-syncer.io/original-paused: "false"}}, spec: {}}`,
	}, {
		name: "kubevirt virtualmachine runStrategy is recorded and Halted",
		opts: &keep,
		in:   `{apiVersion: kubevirt.io/v1, kind: VirtualMachine, metadata: {name: vm}, spec: {runStrategy: Always}}`,
		want: `{apiVersion: kubevirt.io/v1, kind: VirtualMachine, metadata: {name: vm, annotations: {dr-syncer.io/original-run-strategy: "runStrategy=Always"}}, spec: {runStrategy: Halted}}`,
	}, {
		name: "kubevirt virtualmachine running is recorded, replaced by runStrategy Halted",
		in:   `{apiVersion: kubevirt.io/v1, kind: VirtualMachine, metadata: {name: vm}, spec: {running: true}}`,
		want: `{apiVersion: kubevirt.io/v1, kind: VirtualMachine, metadata: {name: vm, annotations: {dr-syncer.io/original-run-strategy: "running=true"}}, spec: {runStrategy: Halted}}`,
	}, {
		name: "kubevirt virtualmachine with neither records empty",
		in:   `{apiVersion: kubevirt.io/v1, kind: VirtualMachine, metadata: {name: vm}, spec: {}}`,
		want: `{apiVersion: kubevirt.io/v1, kind: VirtualMachine, metadata: {name: vm, annotations: {dr-syncer.io/original-run-strategy: ""}}, spec: {runStrategy: Halted}}`,
	}, {
		name:    "kubevirt virtualmachine with both is an error",
		in:      `{apiVersion: kubevirt.io/v1, kind: VirtualMachine, metadata: {name: vm}, spec: {running: true, runStrategy: Always}}`,
		wantErr: "both set",
	}, {
		name: "cnpg cluster is hibernated, no annotation recorded as empty",
		opts: &keep,
		in:   `{apiVersion: postgresql.cnpg.io/v1, kind: Cluster, metadata: {name: pg}, spec: {instances: 3}}`,
		want: `{apiVersion: postgresql.cnpg.io/v1, kind: Cluster, metadata: {name: pg, annotations: {cnpg.io/hibernation: "on", dr-syncer.io/original-hibernation: ""}}, spec: {instances: 3}}`,
	}, {
		name: "a Cluster of another group is not hibernated",
		in:   `{apiVersion: example.com/v1, kind: Cluster, metadata: {name: c}}`,
		want: `{apiVersion: example.com/v1, kind: Cluster, metadata: {name: c}}`,
	}, {
		name: "a Kustomization of another group is not suspended",
		in:   `{apiVersion: kustomize.config.k8s.io/v1beta1, kind: Kustomization, metadata: {name: k}}`,
		want: `{apiVersion: kustomize.config.k8s.io/v1beta1, kind: Kustomization, metadata: {name: k}}`,
	}, {
		name: "daemonset without nodeSelector records {} and is parked",
		in:   `{apiVersion: apps/v1, kind: DaemonSet, metadata: {name: agent}, spec: {template: {spec: {containers: []}}}}`,
		want: `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, annotations: {dr-syncer.io/original-node-selector: "{}"}}
spec: {template: {spec: {containers: [], nodeSelector: {dr-syncer.io/parked: "true"}}}}
`,
	}, {
		name: "daemonset nodeSelector is recorded as sorted compact JSON and replaced",
		in: `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec: {template: {spec: {nodeSelector: {zone: a, kubernetes.io/os: linux}}}}
`,
		want: `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, annotations: {dr-syncer.io/original-node-selector: '{"kubernetes.io/os":"linux","zone":"a"}'}}
spec: {template: {spec: {nodeSelector: {dr-syncer.io/parked: "true"}}}}
`,
	}})
}

// TestVirtualMachineWithBothRunFields: a VirtualMachine with both runStrategy and running (which
// KubeVirt refuses) is not copied half-parked: the transform fails with a clear message.
func TestVirtualMachineWithBothRunFields(t *testing.T) {
	_, err := ToDestination(parse(t, `{apiVersion: kubevirt.io/v1, kind: VirtualMachine, metadata: {name: vm}, spec: {runStrategy: Always, running: true}}`), testOpts)
	if err == nil || !strings.Contains(err.Error(), "spec.runStrategy and spec.running are both set") {
		t.Fatalf("err = %v, want both fields named", err)
	}
}
