package transform

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
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
