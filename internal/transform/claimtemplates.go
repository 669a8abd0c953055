package transform

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// podTemplatePaths says where each workload kind keeps its pod template.
var podTemplatePaths = map[schema.GroupKind][]string{
	gkDeployment:  {"spec", "template"},
	gkStatefulSet: {"spec", "template"},
	gkDaemonSet:   {"spec", "template"},
	gkReplicaSet:  {"spec", "template"},
	gkRC:          {"spec", "template"},
	gkJob:         {"spec", "template"},
	gkCronJob:     {"spec", "jobTemplate", "spec", "template"},
}

// claimTemplatesToDestination applies pvcConfig's mappings to every claim a workload will
// create in DR: a StatefulSet's volumeClaimTemplates and the generic ephemeral volumes of a
// pod template. Their storage classes must exist in DR as much as a PVC's.
func claimTemplatesToDestination(obj *unstructured.Unstructured, cfg drv1.PVCConfig) error {
	if len(cfg.StorageClassMappings) == 0 && len(cfg.AccessModeMappings) == 0 {
		return nil
	}
	gk := groupKind(obj)
	if gk == gkStatefulSet {
		templates, _, err := unstructured.NestedSlice(obj.Object, "spec", "volumeClaimTemplates")
		if err != nil {
			return objectError(obj, err)
		}
		for i, t := range templates {
			tm, _ := t.(map[string]any)
			spec, _ := tm["spec"].(map[string]any)
			if err := claimSpecToDestination(spec, cfg); err != nil {
				return objectError(obj, fmt.Errorf("spec.volumeClaimTemplates[%d].spec.%w", i, err))
			}
		}
		if templates != nil {
			if err := unstructured.SetNestedSlice(obj.Object, templates, "spec", "volumeClaimTemplates"); err != nil {
				return objectError(obj, err)
			}
		}
	}
	path, ok := podTemplatePaths[gk]
	if !ok {
		return nil
	}
	volumesPath := append(append([]string{}, path...), "spec", "volumes")
	volumes, found, err := unstructured.NestedSlice(obj.Object, volumesPath...)
	if err != nil || !found {
		return err
	}
	for i, v := range volumes {
		spec, _, _ := unstructured.NestedMap(asMap(v), "ephemeral", "volumeClaimTemplate", "spec")
		if spec == nil {
			continue
		}
		if err := claimSpecToDestination(spec, cfg); err != nil {
			return objectError(obj, fmt.Errorf("volumes[%d].ephemeral.volumeClaimTemplate.spec.%w", i, err))
		}
		if err := unstructured.SetNestedMap(asMap(v), spec, "ephemeral", "volumeClaimTemplate", "spec"); err != nil {
			return objectError(obj, err)
		}
	}
	return unstructured.SetNestedSlice(obj.Object, volumes, volumesPath...)
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}
