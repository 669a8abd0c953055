package ops

import (
	"context"
	"fmt"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/discovery"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/cluster"
	"github.com/dr-syncer/dr-syncer/internal/engine"
	"github.com/dr-syncer/dr-syncer/internal/transform"
)

// parkedKinds are the built-in workloadKinds plus the namespaced custom kinds of the DR
// cluster that dr-syncer parks: Flux's, KEDA's, KubeVirt's and CloudNativePG's
// (transform.ParkedCustomKinds), every kind whose CRD declares a scale subresource (parked at 0
// through its specReplicasPath), and every other kind of which the DR namespace holds a copy
// parked by recorded fields (a ParkingRule's, or parkNetworking's): see recordedKinds.
func parkedKinds(ctx context.Context, dr *cluster.Handle, ns string, sel labels.Selector) ([]workloadKind, error) {
	kinds, err := builtinAndCustomKinds(ctx, dr)
	if err != nil {
		return nil, err
	}
	recorded, err := recordedKinds(ctx, dr, ns, sel, kinds)
	if err != nil {
		return nil, err
	}
	return append(kinds, recorded...), nil
}

// builtinAndCustomKinds are the kinds dr-syncer parks by kind.
func builtinAndCustomKinds(ctx context.Context, dr *cluster.Handle) ([]workloadKind, error) {
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
// of its kind first, so that it is parked through it and records it, as its DR copy does; an
// object whose DR copy records its parked fields (a ParkingRule's) is given that record, so that
// it is parked the same way, with no rule read.
func parkSource(kinds []workloadKind, copies []workload) changeFunc {
	paths := map[schema.GroupKind]string{}
	for _, k := range kinds {
		if k.path != "" {
			paths[schema.GroupKind{Group: k.gvr.Group, Kind: k.kind}] = k.path
		}
	}
	fields := map[string]string{}
	for _, w := range copies {
		if v, ok := w.obj.GetAnnotations()[drv1.AnnotationOriginalFields]; ok {
			fields[w.key()] = v
		}
	}
	return func(live *unstructured.Unstructured) (*unstructured.Unstructured, bool, error) {
		gk := live.GroupVersionKind().GroupKind()
		key := workload{kind: kindFor(kinds, gk), obj: live}.key()
		var inject string
		var value string
		if v, ok := fields[key]; ok {
			inject, value = drv1.AnnotationOriginalFields, v
		} else if path, ok := paths[gk]; ok {
			inject, value = drv1.AnnotationOriginalReplicasPath, path
		} else {
			return transform.Park(live)
		}
		in := live.DeepCopy()
		annotations := in.GetAnnotations()
		if _, recorded := annotations[inject]; !recorded {
			if annotations == nil {
				annotations = map[string]string{}
			}
			annotations[inject] = value
			in.SetAnnotations(annotations)
		}
		out, changed, err := transform.Park(in)
		if err != nil || !changed {
			return live, false, err
		}
		return out, true, nil
	}
}

// kindFor returns the kind of kinds for gk (a stand-in without one, for keys).
func kindFor(kinds []workloadKind, gk schema.GroupKind) *workloadKind {
	for i := range kinds {
		if kinds[i].gvr.Group == gk.Group && kinds[i].kind == gk.Kind {
			return &kinds[i]
		}
	}
	return &workloadKind{gvr: schema.GroupVersionResource{Group: gk.Group}, kind: gk.Kind, custom: gk.Group != ""}
}

// recordedKinds finds the kinds, beyond known, of which the DR namespace holds a copy that
// records its parked fields (annotation dr-syncer.io/original-fields). The copies alone tell:
// cutover reads no ParkingRule, and works with the controller's cluster down. It lists every
// namespaced type DR serves once (a cutover and a failback are rare; a sync never pays this).
func recordedKinds(ctx context.Context, dr *cluster.Handle, ns string, sel labels.Selector, known []workloadKind) ([]workloadKind, error) {
	lists, err := discovery.ServerPreferredNamespacedResources(dr.Discovery)
	if err != nil && !discovery.IsGroupDiscoveryFailedError(err) {
		return nil, fmt.Errorf("discovering the types of cluster %s: %w", dr.Name, err)
	}
	have := map[schema.GroupKind]bool{}
	for _, k := range known {
		have[schema.GroupKind{Group: k.gvr.Group, Kind: k.kind}] = true
	}
	var out []workloadKind
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			continue
		}
		for _, r := range l.APIResources {
			gk := schema.GroupKind{Group: gv.Group, Kind: r.Kind}
			if have[gk] || strings.Contains(r.Name, "/") || !slices.Contains(r.Verbs, "list") || !slices.Contains(r.Verbs, "patch") {
				continue
			}
			have[gk] = true
			gvr := gv.WithResource(r.Name)
			if engine.NeverSynced(engine.Type{GVR: gvr}) && gvr.Resource != "replicasets" && gvr.Resource != "jobs" {
				continue // runtime state (Pods, Events, Endpoints, ...): never a copy
			}
			k := workloadKind{gvr: gvr, kind: r.Kind, annotation: drv1.AnnotationOriginalFields, custom: true}
			ws, err := listKind(ctx, dr, ns, sel, &k)
			if apierrors.IsForbidden(err) || apierrors.IsMethodNotSupported(err) {
				continue // a type dr-syncer may not list in DR holds no copy of its
			}
			if err != nil {
				return nil, err
			}
			for _, w := range ws {
				if _, ok := w.obj.GetAnnotations()[drv1.AnnotationOriginalFields]; ok {
					out = append(out, k)
					break
				}
			}
		}
	}
	return out, nil
}
