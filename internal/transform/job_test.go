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

func TestToDestinationJobFinished(t *testing.T) {
	const parked = `annotations: {dr-syncer.io/original-suspend: "false"`
	runDestinationCases(t, []destinationCase{{
		name: "complete at the source: recorded",
		in:   `{apiVersion: batch/v1, kind: Job, metadata: {name: j}, spec: {}, status: {succeeded: 1, conditions: [{type: SuccessCriteriaMet, status: "True"}, {type: Complete, status: "True"}]}}`,
		want: `{apiVersion: batch/v1, kind: Job, metadata: {name: j, ` + parked + `, dr-syncer.io/source-finished: Complete}}, spec: {suspend: true}}`,
	}, {
		name: "failed at the source: recorded",
		in:   `{apiVersion: batch/v1, kind: Job, metadata: {name: j}, spec: {}, status: {failed: 6, conditions: [{type: Failed, status: "True"}]}}`,
		want: `{apiVersion: batch/v1, kind: Job, metadata: {name: j, ` + parked + `, dr-syncer.io/source-finished: Failed}}, spec: {suspend: true}}`,
	}, {
		name: "all completions succeeded: complete",
		in:   `{apiVersion: batch/v1, kind: Job, metadata: {name: j}, spec: {completions: 3}, status: {succeeded: 3}}`,
		want: `{apiVersion: batch/v1, kind: Job, metadata: {name: j, ` + parked + `, dr-syncer.io/source-finished: Complete}}, spec: {completions: 3, suspend: true}}`,
	}, {
		name: "running, some completions left: not recorded",
		in:   `{apiVersion: batch/v1, kind: Job, metadata: {name: j}, spec: {completions: 3}, status: {succeeded: 2, active: 1, conditions: [{type: Complete, status: "False"}]}}`,
		want: `{apiVersion: batch/v1, kind: Job, metadata: {name: j, ` + parked + `}}, spec: {completions: 3, suspend: true}}`,
	}, {
		name: "a source copy of the record is dropped",
		in:   `{apiVersion: batch/v1, kind: Job, metadata: {name: j, annotations: {dr-syncer.io/source-finished: Complete}}, spec: {}}`,
		want: `{apiVersion: batch/v1, kind: Job, metadata: {name: j, ` + parked + `}}, spec: {suspend: true}}`,
	}})
}

// TestJobActivation: cutover resumes a Job whose source had not finished, never one that had;
// failback leaves a Job that finished in DR alone.
func TestJobActivation(t *testing.T) {
	pending, _ := toDestination(t, parse(t, `{apiVersion: batch/v1, kind: Job, metadata: {name: j}, spec: {}}`), testOpts)
	if out, changed := activateOrPark(t, Activate, pending); !changed || out.Object["spec"].(map[string]any)["suspend"] != false {
		t.Errorf("pending Job: changed=%v spec=%v, want resumed", changed, out.Object["spec"])
	}
	done, _ := toDestination(t, parse(t, `{apiVersion: batch/v1, kind: Job, metadata: {name: j}, spec: {}, status: {conditions: [{type: Complete, status: "True"}]}}`), testOpts)
	if _, changed := activateOrPark(t, Activate, done); changed {
		t.Error("a Job complete at the source was resumed")
	}
	finishedInDR := parse(t, `{apiVersion: batch/v1, kind: Job, metadata: {name: j}, spec: {suspend: false}, status: {conditions: [{type: Complete, status: "True"}]}}`)
	if _, changed := activateOrPark(t, Park, finishedInDR); changed {
		t.Error("Park suspended a Job that had finished")
	}
	running := parse(t, `{apiVersion: batch/v1, kind: Job, metadata: {name: j}, spec: {suspend: false}, status: {active: 1}}`)
	if out, changed := activateOrPark(t, Park, running); !changed || out.Object["spec"].(map[string]any)["suspend"] != true {
		t.Errorf("running Job: changed=%v, want suspended", changed)
	}
}
