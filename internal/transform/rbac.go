package transform

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// retargetSubjects points RoleBinding subjects of the source namespace at the destination
// namespace, so a ServiceAccount synced alongside keeps its permissions (a no-op when the two
// are the same). Subjects in other namespaces are deliberate cross-namespace grants and stay.
func retargetSubjects(obj *unstructured.Unstructured, from, to string) error {
	subjects, found, err := unstructured.NestedSlice(obj.Object, "subjects")
	if err != nil {
		return objectError(obj, err)
	}
	if !found {
		return nil
	}
	for i, s := range subjects {
		subject, ok := s.(map[string]any)
		if !ok {
			return objectError(obj, fmt.Errorf("subjects[%d] is %T, not an object", i, s))
		}
		if ns, _ := subject["namespace"].(string); ns != "" && ns == from {
			subject["namespace"] = to
		}
	}
	return unstructured.SetNestedSlice(obj.Object, subjects, "subjects")
}
