package engine

import (
	"context"
	"errors"
	"fmt"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dr-syncer/dr-syncer/internal/cluster"
)

// scalePaths reads the CRDs of the custom types among types and puts the specReplicasPath of
// those whose served version declares a scale subresource into the run's transform options, so
// their objects are parked. A type whose CRD cannot be read is reported and dropped: copied
// without it, its objects could run in DR.
func (r *run) scalePaths(ctx context.Context, types []Type) []Type {
	out := types[:0:0]
	paths := map[schema.GroupKind]string{}
	for _, t := range types {
		path, err := scaleReplicasPath(ctx, t, r.req.Source, r.req.Dest)
		if err != nil {
			r.record(Action{GVK: t.GVK, Type: ActionFailed, Reason: "CRDReadFailed", Message: err.Error()})
			continue
		}
		if path != "" {
			paths[t.GVK.GroupKind()] = path
		}
		out = append(out, t)
	}
	r.req.Transform.ScaleReplicasPaths = paths
	return out
}

// scaleReplicasPath returns the specReplicasPath of t's scale subresource, or "" when t is
// built in, served by an aggregated API (no CRD on either side), or has none. The CRD is read
// from the source, else (not there, or not readable) from the destination; an error means it
// could be read from neither.
func scaleReplicasPath(ctx context.Context, t Type, handles ...*cluster.Handle) (string, error) {
	if isBuiltinGroup(t.GVR.Group) {
		return "", nil
	}
	name := t.GVR.Resource + "." + t.GVR.Group
	var errs []error
	for _, h := range handles {
		crd := &apiextensionsv1.CustomResourceDefinition{}
		err := h.Client.Get(ctx, client.ObjectKey{Name: name}, crd)
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("cluster %s: %w", h.Name, err))
			continue
		}
		for _, v := range crd.Spec.Versions {
			if v.Name == t.GVK.Version && v.Subresources != nil && v.Subresources.Scale != nil {
				return v.Subresources.Scale.SpecReplicasPath, nil
			}
		}
		return "", nil
	}
	if len(errs) > 0 {
		return "", fmt.Errorf("reading CRD %s to learn whether it has a scale subresource (needs get on customresourcedefinitions): %w", name, errors.Join(errs...))
	}
	return "", nil
}
