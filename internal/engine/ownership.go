package engine

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// Owns tells whether a destination object belongs to the mapping with ID mappingID: it carries
// label dr-syncer.io/mapping=mappingID AND annotation dr-syncer.io/source, and no controller
// ownerReference. Only such objects are updated, pruned, deleted, parked or activated as the
// mapping's. The label alone is not enough: operators copy their resource's labels onto what
// they create, and those objects are the operator's (issue 9, finding 7).
func Owns(obj metav1.Object, mappingID string) bool {
	return mappingID != "" && obj.GetLabels()[drv1.LabelMapping] == mappingID && isCopy(obj)
}

// OwnedByAny tells whether obj belongs to one of ids, or, with no ids, to any mapping.
func OwnedByAny(obj metav1.Object, ids []string) bool {
	if len(ids) == 0 {
		return obj.GetLabels()[drv1.LabelMapping] != "" && isCopy(obj)
	}
	for _, id := range ids {
		if Owns(obj, id) {
			return true
		}
	}
	return false
}

// isCopy: written by dr-syncer (source annotation) and not controlled by anything in its cluster.
func isCopy(obj metav1.Object) bool {
	return obj.GetAnnotations()[drv1.AnnotationSource] != "" && metav1.GetControllerOfNoCopy(obj) == nil
}

// otherOwner returns the mapping a destination object belongs to when that is not mappingID
// ("" when it belongs to no mapping).
func otherOwner(obj metav1.Object, mappingID string) string {
	id := obj.GetLabels()[drv1.LabelMapping]
	if id == "" || id == mappingID {
		return ""
	}
	return id
}

// adoptable tells whether conflictPolicy: Adopt may take over a live object that the mapping
// does not own, and why not. Adopt never takes an object of another mapping (two mappings would
// take it from each other on every sync, finding 8) nor one a controller owns in its cluster.
func adoptable(obj metav1.Object, mappingID string) (bool, string) {
	if c := metav1.GetControllerOfNoCopy(obj); c != nil {
		return false, fmt.Sprintf("exists in the destination and is controlled by %s %s; dr-syncer never takes over an object a controller owns", c.Kind, c.Name)
	}
	if owner := otherOwner(obj, mappingID); owner != "" {
		return false, fmt.Sprintf("exists in the destination and belongs to mapping %q (label %s); dr-syncer never takes another mapping's objects, not even with conflictPolicy: Adopt: let one mapping write each DR object, or run the owner's sync (dr-syncer sync --mapping)", owner, drv1.LabelMapping)
	}
	return true, ""
}

// conflictMessage explains a live object that the mapping neither owns nor may adopt.
func conflictMessage(obj metav1.Object, mappingID string, adopt bool) string {
	if ok, why := adoptable(obj, mappingID); !ok {
		return why
	}
	if adopt {
		return ""
	}
	if obj.GetLabels()[drv1.LabelMapping] == mappingID {
		return fmt.Sprintf("exists in the destination with this mapping's label but without annotation %s, so it was not written by dr-syncer; set conflictPolicy: Adopt to take it over", drv1.AnnotationSource)
	}
	return "exists in the destination and was not created by dr-syncer; set conflictPolicy: Adopt to take it over"
}
