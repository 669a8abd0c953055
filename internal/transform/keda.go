package transform

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// KEDAPausedAnnotation pauses a KEDA ScaledObject or ScaledJob: KEDA then scales nothing, so a
// parked workload it targets stays at 0 (https://keda.sh/docs/concepts/scaling-jobs/#pausing-autoscaling).
const KEDAPausedAnnotation = "autoscaling.keda.sh/paused"

// CNPGHibernationAnnotation "on" hibernates a CloudNativePG Cluster: its Pods are removed, its
// PVCs kept (https://cloudnative-pg.io/documentation/current/declarative_hibernation/).
const CNPGHibernationAnnotation = "cnpg.io/hibernation"

// kedaParking parks KEDA's scalers with their pause annotation; a scaler without one records ""
// and gets none back at cutover.
var kedaParking = annotationParking(KEDAPausedAnnotation, "true", drv1.AnnotationOriginalPaused)

// cnpgParking hibernates a CloudNativePG Cluster; one without the annotation records "".
var cnpgParking = annotationParking(CNPGHibernationAnnotation, "on", drv1.AnnotationOriginalHibernation)

// annotationParking parks a kind by setting one of its annotations to parked; the original value
// is recorded in record, "" for an absent annotation (removed again by activation).
func annotationParking(key, parked, record string) *parking {
	return &parking{
		annotation: record,
		parked:     parked,
		field:      []string{"metadata", "annotations", key},
		read: func(obj *unstructured.Unstructured) (string, error) {
			annotations, err := stringMap(obj, "metadata", "annotations")
			return annotations[key], err
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
				delete(annotations, key)
			} else {
				annotations[key] = value
			}
			return unstructured.SetNestedStringMap(obj.Object, annotations, "metadata", "annotations")
		},
	}
}
