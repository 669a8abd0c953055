package transform

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// KEDAPausedAnnotation pauses a KEDA ScaledObject or ScaledJob: KEDA then scales nothing, so a
// parked workload it targets stays at 0.
const KEDAPausedAnnotation = "autoscaling.keda.sh/paused"

// kedaParking parks KEDA's scalers with their pause annotation; a scaler without one records ""
// and gets none back at cutover.
var kedaParking = &parking{
	annotation: drv1.AnnotationOriginalPaused,
	parked:     "true",
	field:      []string{"metadata", "annotations", KEDAPausedAnnotation},
	read: func(obj *unstructured.Unstructured) (string, error) {
		annotations, err := stringMap(obj, "metadata", "annotations")
		return annotations[KEDAPausedAnnotation], err
	},
	write: func(obj *unstructured.Unstructured, value string) error {
		annotations, err := stringMap(obj, "metadata", "annotations")
		if err != nil {
			return err
		}
		if annotations == nil {
			annotations = map[string]string{}
		}
		if value == "" {
			delete(annotations, KEDAPausedAnnotation)
		} else {
			annotations[KEDAPausedAnnotation] = value
		}
		return unstructured.SetNestedStringMap(obj.Object, annotations, "metadata", "annotations")
	},
}
