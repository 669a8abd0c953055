package transform

import (
	"fmt"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// ParseReplicasPath splits a scale subresource's specReplicasPath (".spec.replicas") into
// fields. Like the API server, it takes only a dotted path under .spec, without array indices.
func ParseReplicasPath(path string) ([]string, error) {
	fields := strings.Split(strings.TrimPrefix(path, "."), ".")
	if !strings.HasPrefix(path, ".spec.") || len(fields) < 2 {
		return nil, fmt.Errorf("specReplicasPath %q: want a path under .spec, such as .spec.replicas", path)
	}
	for _, f := range fields {
		if f == "" || strings.ContainsAny(f, "[]") {
			return nil, fmt.Errorf("specReplicasPath %q: want a dotted path of field names", path)
		}
	}
	return fields, nil
}

// replicasParkingAt parks a custom resource at 0 through its scale subresource's
// specReplicasPath, which it records next to the count so activation needs no CRD. A count the
// object does not set is recorded as "" and activation removes it again: the resource's own
// controller decides what an unset count means.
func replicasParkingAt(path string) (*parking, error) {
	fields, err := ParseReplicasPath(path)
	if err != nil {
		return nil, err
	}
	return &parking{
		annotation: drv1.AnnotationOriginalReplicas,
		parked:     "0",
		field:      fields,
		path:       path,
		read: func(obj *unstructured.Unstructured) (string, error) {
			n, found, err := unstructured.NestedInt64(obj.Object, fields...)
			if err != nil || !found {
				return "", err
			}
			return strconv.FormatInt(n, 10), nil
		},
		write: func(obj *unstructured.Unstructured, value string) error {
			if value == "" {
				unstructured.RemoveNestedField(obj.Object, fields...)
				return nil
			}
			n, err := parseReplicas(value)
			if err != nil {
				return fmt.Errorf("annotation %s=%q: %w", drv1.AnnotationOriginalReplicas, value, err)
			}
			return unstructured.SetNestedField(obj.Object, n, fields...)
		},
	}, nil
}

// parkingOf returns how obj is parked: by the fields recorded on it (a ParkingRule's, or
// parkNetworking's), by its kind, or for a custom resource by the replicas path recorded on it.
// nil means obj is never parked.
func parkingOf(obj *unstructured.Unstructured) (*parking, error) {
	// A rule's record comes first: the rule replaced the built-in parking of its kind.
	if p, err := recordedParking(obj); err != nil || p != nil {
		return p, err
	}
	if p := parkingFor(groupKind(obj)); p != nil {
		return p, nil
	}
	annotations, err := stringMap(obj, "metadata", "annotations")
	if err != nil {
		return nil, err
	}
	path, ok := annotations[drv1.AnnotationOriginalReplicasPath]
	if !ok {
		return nil, nil
	}
	p, err := replicasParkingAt(path)
	if err != nil {
		return nil, objectError(obj, fmt.Errorf("annotation %s: %w", drv1.AnnotationOriginalReplicasPath, err))
	}
	return p, nil
}
