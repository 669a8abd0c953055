package transform

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// bindingAnnotations are written by the source cluster's PV controller and scheduler; in DR they
// would claim a binding or a node that does not exist.
var bindingAnnotations = []string{
	"volume.beta.kubernetes.io/storage-provisioner",
	"volume.kubernetes.io/storage-provisioner",
	"volume.kubernetes.io/selected-node",
}

const bindingAnnotationPrefix = "pv.kubernetes.io/"

// pvcImmutableFields cannot change once a claim exists (volumeAttributesClassName can, and so
// is not here).
var pvcImmutableFields = []string{
	"accessModes", "storageClassName", "volumeName", "volumeMode", "selector", "dataSource", "dataSourceRef",
}

var storageRequestPath = []string{"spec", "resources", "requests", "storage"}

// pvcToDestination makes a claim that DR can provision on its own: unbound, not cloned from a
// source-cluster object, with storage classes and access modes that exist in DR.
func pvcToDestination(obj *unstructured.Unstructured, cfg drv1.PVCConfig) error {
	if !cfg.PreserveVolumeName {
		unstructured.RemoveNestedField(obj.Object, "spec", "volumeName")
	}
	unstructured.RemoveNestedField(obj.Object, "spec", "dataSource")
	unstructured.RemoveNestedField(obj.Object, "spec", "dataSourceRef")

	annotations, err := stringMap(obj, "metadata", "annotations")
	if err != nil {
		return err
	}
	for k := range annotations {
		if strings.HasPrefix(k, bindingAnnotationPrefix) || slices.Contains(bindingAnnotations, k) {
			delete(annotations, k)
		}
	}
	if err := unstructured.SetNestedStringMap(obj.Object, annotations, "metadata", "annotations"); err != nil {
		return objectError(obj, err)
	}

	spec, _ := obj.Object["spec"].(map[string]any)
	if err := claimSpecToDestination(spec, cfg); err != nil {
		return objectError(obj, fmt.Errorf("spec.%w", err))
	}
	return nil
}

// claimSpecToDestination applies pvcConfig's storage class and access mode mappings to one
// claim spec (of a PVC or of a claim template), in place.
func claimSpecToDestination(spec map[string]any, cfg drv1.PVCConfig) error {
	if spec == nil {
		return nil
	}
	// storageClassName: null is valid (no class); only a set name is mapped.
	if sc := spec["storageClassName"]; sc != nil {
		name, ok := sc.(string)
		if !ok {
			return fmt.Errorf("storageClassName is %T, not a string", sc)
		}
		for _, m := range cfg.StorageClassMappings {
			if m.From == name {
				spec["storageClassName"] = m.To
				break
			}
		}
	}
	modes, found, err := unstructured.NestedStringSlice(spec, "accessModes")
	if err != nil {
		return err
	}
	if !found {
		return nil
	}
	mapped := make([]any, 0, len(modes))
	for _, mode := range modes {
		for _, m := range cfg.AccessModeMappings {
			if string(m.From) == mode {
				mode = string(m.To)
				break
			}
		}
		// Two source modes can map to one DR mode; the API server rejects duplicates.
		if !slices.Contains(mapped, any(mode)) {
			mapped = append(mapped, mode)
		}
	}
	spec["accessModes"] = mapped
	return nil
}

// ReconcilePVC adapts a desired PVC to an existing DR PVC: every immutable spec field
// (accessModes, storageClassName, volumeName, volumeMode, selector, dataSource, dataSourceRef;
// volumeAttributesClassName is mutable and kept from desired) is taken from live, and the storage
// request is max(live, desired): only growth is ever applied. Returns a new object.
func ReconcilePVC(desired, live *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	if desired == nil || live == nil {
		return nil, errors.New("transform: ReconcilePVC needs both desired and live")
	}
	for _, obj := range []*unstructured.Unstructured{desired, live} {
		if groupKind(obj) != gkPVC {
			return nil, objectError(obj, errors.New("not a PersistentVolumeClaim"))
		}
	}
	out := desired.DeepCopy()
	for _, f := range pvcImmutableFields {
		v, found, err := unstructured.NestedFieldCopy(live.Object, "spec", f)
		if err != nil {
			return nil, objectError(live, err)
		}
		if !found {
			unstructured.RemoveNestedField(out.Object, "spec", f)
			continue
		}
		if err := unstructured.SetNestedField(out.Object, v, "spec", f); err != nil {
			return nil, objectError(out, err)
		}
	}

	want, err := storageRequest(desired)
	if err != nil {
		return nil, err
	}
	have, err := storageRequest(live)
	if err != nil {
		return nil, err
	}
	// A claim cannot shrink: keep live's size unless desired is larger.
	if have != nil && (want == nil || have.Cmp(*want) > 0) {
		if err := unstructured.SetNestedField(out.Object, have.String(), storageRequestPath...); err != nil {
			return nil, objectError(out, err)
		}
	}
	return out, nil
}

// storageRequest returns spec.resources.requests.storage, or nil when it is not set.
func storageRequest(obj *unstructured.Unstructured) (*resource.Quantity, error) {
	s, found, err := unstructured.NestedString(obj.Object, storageRequestPath...)
	if err != nil {
		return nil, objectError(obj, err)
	}
	if !found {
		return nil, nil
	}
	q, err := resource.ParseQuantity(s)
	if err != nil {
		return nil, objectError(obj, fmt.Errorf("spec.resources.requests.storage %q: %w", s, err))
	}
	return &q, nil
}
