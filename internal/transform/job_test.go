package transform

import "testing"

func TestToDestinationJob(t *testing.T) {
	runDestinationCases(t, []destinationCase{{
		name: "generated selector and labels dropped",
		in: `
apiVersion: batch/v1
kind: Job
metadata: {name: migrate, uid: u1}
spec:
	selector: {matchLabels: {batch.kubernetes.io/controller-uid: u1}}
	template:
		metadata:
			labels: {app: migrate, controller-uid: u1, batch.kubernetes.io/controller-uid: u1, job-name: migrate, batch.kubernetes.io/job-name: migrate}
		spec: {restartPolicy: Never, containers: [{name: app, image: busybox}]}
`,
		want: `
apiVersion: batch/v1
kind: Job
metadata: {name: migrate, annotations: {dr-syncer.io/source-uid: u1, dr-syncer.io/original-suspend: "false"}}
spec:
	suspend: true
	template:
		metadata: {labels: {app: migrate}}
		spec: {restartPolicy: Never, containers: [{name: app, image: busybox}]}
`,
	}, {
		name: "manual selector kept",
		in: `
apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec:
	manualSelector: true
	selector: {matchLabels: {app: migrate}}
	template:
		metadata: {labels: {app: migrate}}
		spec: {restartPolicy: Never, containers: [{name: app, image: busybox}]}
`,
		want: `
apiVersion: batch/v1
kind: Job
metadata: {name: migrate, annotations: {dr-syncer.io/original-suspend: "false"}}
spec:
	manualSelector: true
	selector: {matchLabels: {app: migrate}}
	suspend: true
	template:
		metadata: {labels: {app: migrate}}
		spec: {restartPolicy: Never, containers: [{name: app, image: busybox}]}
`,
	}})
}
