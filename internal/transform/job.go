package transform

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// jobGeneratedLabels are the pod template labels an API server adds to a Job when it generates
// the Job's selector. The controller-uid ones carry the source Job's UID, which the DR API server
// rejects ("must be <new uid>").
var jobGeneratedLabels = []string{
	"controller-uid", "batch.kubernetes.io/controller-uid", "job-name", "batch.kubernetes.io/job-name",
}

// jobToDestination drops the selector and template labels the source API server generated, so
// the DR API server generates its own. A Job with spec.manualSelector keeps what its author set.
func jobToDestination(obj *unstructured.Unstructured) error {
	manual, _, err := unstructured.NestedBool(obj.Object, "spec", "manualSelector")
	if err != nil {
		return objectError(obj, err)
	}
	if manual {
		return nil
	}
	unstructured.RemoveNestedField(obj.Object, "spec", "selector")
	labels, err := stringMap(obj, "spec", "template", "metadata", "labels")
	if err != nil || labels == nil {
		return err
	}
	for _, k := range jobGeneratedLabels {
		delete(labels, k)
	}
	if err := unstructured.SetNestedStringMap(obj.Object, labels, "spec", "template", "metadata", "labels"); err != nil {
		return objectError(obj, err)
	}
	return nil
}

// jobFinished returns "Complete" or "Failed" when a Job has finished (its condition of that type
// is True, or as many pods succeeded as it needs), and "" while it has not.
func jobFinished(obj *unstructured.Unstructured) string {
	conditions, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
	for _, c := range conditions {
		cond, _ := c.(map[string]any)
		if t, _ := cond["type"].(string); (t == "Complete" || t == "Failed") && cond["status"] == "True" {
			return t
		}
	}
	succeeded, _, _ := unstructured.NestedInt64(obj.Object, "status", "succeeded")
	completions, found, _ := unstructured.NestedInt64(obj.Object, "spec", "completions")
	if !found {
		completions = 1
	}
	if succeeded > 0 && succeeded >= completions {
		return "Complete"
	}
	return ""
}

// JobFinished is jobFinished for callers outside the package (failback: a Job that finished in
// DR is not resumed at the source, where it would run a second time).
func JobFinished(obj *unstructured.Unstructured) string { return jobFinished(obj) }

// recordJobFinished notes on a Job's DR copy that the source Job src has finished, so cutover
// does not run it again.
func recordJobFinished(out, src *unstructured.Unstructured) error {
	if finished := jobFinished(src); finished != "" {
		return setAnnotation(out, drv1.AnnotationSourceFinished, finished)
	}
	return nil
}

// DropGeneratedJobSelector drops the selector and pod template labels an API server generated for
// a Job, so that a new Job made from it (a drill's copy of a DR Job) gets its own: the API
// server refuses a new Job carrying another Job's generated selector. A Job with
// spec.manualSelector is left as it is.
func DropGeneratedJobSelector(obj *unstructured.Unstructured) error { return jobToDestination(obj) }
