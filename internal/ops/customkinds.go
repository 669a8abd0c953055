package ops

import (
	"context"
	"fmt"
	"slices"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/cluster"
	"github.com/dr-syncer/dr-syncer/internal/transform"
)

// parkedKinds are the built-in workloadKinds plus the namespaced custom kinds of the DR
// cluster that dr-syncer parks: Flux's and KEDA's (transform.ParkedCustomKinds), and every kind
// whose CRD declares a scale subresource (parked at 0 through its specReplicasPath).
func parkedKinds(ctx context.Context, dr *cluster.Handle) ([]workloadKind, error) {
	kinds := append([]workloadKind(nil), workloadKinds...)
	crds := &apiextensionsv1.CustomResourceDefinitionList{}
	if err := dr.Client.List(ctx, crds); err != nil {
		return nil, fmt.Errorf("listing the CRDs of cluster %s, to find the custom kinds dr-syncer parks: %w", dr.Name, err)
	}
	for _, crd := range crds.Items {
		if crd.Spec.Scope != apiextensionsv1.NamespaceScoped {
			continue
		}
		if k, ok := parkedCustomKind(&crd); ok {
			kinds = append(kinds, k)
		} else if k, ok := scaleKind(&crd); ok {
			kinds = append(kinds, k)
		}
	}
	return kinds, nil
}

// parkedCustomKind is a CRD's kind when transform parks it by kind, in its storage version.
func parkedCustomKind(crd *apiextensionsv1.CustomResourceDefinition) (workloadKind, bool) {
	gk := schema.GroupKind{Group: crd.Spec.Group, Kind: crd.Spec.Names.Kind}
	if !slices.Contains(transform.ParkedCustomKinds, gk) {
		return workloadKind{}, false
	}
	annotation, field, _ := transform.Parked(gk)
	for _, v := range crd.Spec.Versions {
		if v.Served && v.Storage {
			return workloadKind{gvr: schema.GroupVersionResource{Group: gk.Group, Version: v.Name, Resource: crd.Spec.Names.Plural},
				kind: gk.Kind, annotation: annotation, field: field, custom: true}, true
		}
	}
	return workloadKind{}, false
}

// scaleKind picks the version a scalable CRD is listed and patched in: the storage version
// when it declares a scale subresource, else the first served one that does.
func scaleKind(crd *apiextensionsv1.CustomResourceDefinition) (workloadKind, bool) {
	var pick *apiextensionsv1.CustomResourceDefinitionVersion
	for i, v := range crd.Spec.Versions {
		if !v.Served || v.Subresources == nil || v.Subresources.Scale == nil {
			continue
		}
		if _, err := transform.ParseReplicasPath(v.Subresources.Scale.SpecReplicasPath); err != nil {
			continue
		}
		if pick == nil || v.Storage {
			pick = &crd.Spec.Versions[i]
		}
	}
	if pick == nil {
		return workloadKind{}, false
	}
	path := pick.Subresources.Scale.SpecReplicasPath
	field, _ := transform.ParseReplicasPath(path)
	return workloadKind{
		gvr:        schema.GroupVersionResource{Group: crd.Spec.Group, Version: pick.Name, Resource: crd.Spec.Names.Plural},
		kind:       crd.Spec.Names.Kind,
		annotation: drv1.AnnotationOriginalReplicas,
		field:      field,
		custom:     true,
		path:       path,
	}, true
}

// parkSource parks source workloads at cutover. A custom resource is given the replicas path
// of its kind first, so that it is parked through it and records it, as its DR copy does.
func parkSource(kinds []workloadKind) changeFunc {
	paths := map[schema.GroupKind]string{}
	for _, k := range kinds {
		if k.path != "" {
			paths[schema.GroupKind{Group: k.gvr.Group, Kind: k.kind}] = k.path
		}
	}
	return func(live *unstructured.Unstructured) (*unstructured.Unstructured, bool, error) {
		path, ok := paths[live.GroupVersionKind().GroupKind()]
		if !ok {
			return transform.Park(live)
		}
		in := live.DeepCopy()
		annotations := in.GetAnnotations()
		if _, recorded := annotations[drv1.AnnotationOriginalReplicasPath]; !recorded {
			if annotations == nil {
				annotations = map[string]string{}
			}
			annotations[drv1.AnnotationOriginalReplicasPath] = path
			in.SetAnnotations(annotations)
		}
		out, changed, err := transform.Park(in)
		if err != nil || !changed {
			return live, false, err
		}
		return out, true, nil
	}
}
