package transform

import (
	"testing"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

func TestToDestinationClaimTemplates(t *testing.T) {
	mapped := testOpts
	mapped.PVC = drv1.PVCConfig{
		StorageClassMappings: []drv1.StorageClassMapping{{From: "gp3", To: "premium"}},
		AccessModeMappings:   []drv1.AccessModeMapping{{From: "ReadWriteOncePod", To: "ReadWriteOnce"}},
	}
	runDestinationCases(t, []destinationCase{{
		name: "statefulset claim templates and ephemeral volumes mapped; other classes stay",
		opts: &mapped,
		in: `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
	replicas: 2
	volumeClaimTemplates:
	- metadata: {name: data}
		spec: {storageClassName: gp3, accessModes: [ReadWriteOncePod]}
	- metadata: {name: logs}
		spec: {storageClassName: standard, accessModes: [ReadWriteOnce]}
	- metadata: {name: default-class}
		spec: {accessModes: [ReadWriteOnce]}
	template:
		spec:
			volumes:
			- name: scratch
				ephemeral: {volumeClaimTemplate: {spec: {storageClassName: gp3, accessModes: [ReadWriteOncePod]}}}
			- {name: config, configMap: {name: db}}
`,
		want: `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, annotations: {dr-syncer.io/original-replicas: "2"}}
spec:
	replicas: 0
	volumeClaimTemplates:
	- metadata: {name: data}
		spec: {storageClassName: premium, accessModes: [ReadWriteOnce]}
	- metadata: {name: logs}
		spec: {storageClassName: standard, accessModes: [ReadWriteOnce]}
	- metadata: {name: default-class}
		spec: {accessModes: [ReadWriteOnce]}
	template:
		spec:
			volumes:
			- name: scratch
				ephemeral: {volumeClaimTemplate: {spec: {storageClassName: premium, accessModes: [ReadWriteOnce]}}}
			- {name: config, configMap: {name: db}}
`,
	}, {
		name: "cronjob ephemeral volume mapped",
		opts: &mapped,
		in: `
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec: {suspend: true, jobTemplate: {spec: {template: {spec: {volumes: [{name: s, ephemeral: {volumeClaimTemplate: {spec: {storageClassName: gp3}}}}]}}}}}
`,
		want: `
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, annotations: {dr-syncer.io/original-suspend: "true"}}
spec: {suspend: true, jobTemplate: {spec: {template: {spec: {volumes: [{name: s, ephemeral: {volumeClaimTemplate: {spec: {storageClassName: premium}}}}]}}}}}
`,
	}, {
		name: "deployment ephemeral volume mapped",
		opts: &mapped,
		in:   `{apiVersion: apps/v1, kind: Deployment, metadata: {name: web}, spec: {replicas: 1, template: {spec: {volumes: [{name: s, ephemeral: {volumeClaimTemplate: {spec: {storageClassName: gp3}}}}]}}}}`,
		want: `{apiVersion: apps/v1, kind: Deployment, metadata: {name: web, annotations: {dr-syncer.io/original-replicas: "1"}}, spec: {replicas: 0, template: {spec: {volumes: [{name: s, ephemeral: {volumeClaimTemplate: {spec: {storageClassName: premium}}}}]}}}}`,
	}, {
		name:    "a storage class of the wrong type is an error naming where",
		opts:    &mapped,
		in:      `{apiVersion: apps/v1, kind: StatefulSet, metadata: {name: db}, spec: {volumeClaimTemplates: [{spec: {storageClassName: 3}}]}}`,
		wantErr: "spec.volumeClaimTemplates[0].spec.storageClassName",
	}})
}
