package engine

import (
	"context"

	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

var crdGVR = apiextensionsv1.SchemeGroupVersion.WithResource("customresourcedefinitions")

// crdEstablishTimeout bounds the wait for a copied CRD to be served.
const crdEstablishTimeout = 30 * time.Second

// syncCRDs copies the CRDs of the custom types being synced and waits until the destination
// serves them. A CRD that exists in the destination and was not written by dr-syncer is left as
// it is. Failures are reported per CRD; the types then fail as "not served".
func (r *run) syncCRDs(ctx context.Context, types []Type) {
	for _, t := range types {
		if isBuiltinGroup(t.GVR.Group) {
			continue
		}
		name := t.GVR.Resource + "." + t.GVR.Group
		src := &apiextensionsv1.CustomResourceDefinition{}
		if err := r.req.Source.Client.Get(ctx, client.ObjectKey{Name: name}, src); err != nil {
			if !apierrors.IsNotFound(err) { // NotFound: an aggregated API, not a CRD
				r.record(Action{GVK: crdGVK, Name: name, Type: ActionFailed, Reason: "CRDReadFailed", Message: err.Error()})
			}
			continue
		}
		live, err := r.req.Dest.Dynamic.Resource(crdGVR).Get(ctx, name, metav1.GetOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			r.record(Action{GVK: crdGVK, Name: name, Type: ActionFailed, Reason: "CRDReadFailed", Message: err.Error()})
			continue
		}
		if err == nil && ownedFieldsHash(live) == "" {
			continue // someone else's CRD
		}
		desired, err := crdForDest(src)
		if err != nil {
			r.record(Action{GVK: crdGVK, Name: name, Type: ActionFailed, Reason: "CRDTransformFailed", Message: err.Error()})
			continue
		}
		h, _ := desiredHash(desired)
		if live != nil && live.GetAnnotations()[AnnotationDesiredHash] == h {
			continue
		}
		setAnnotation(desired, AnnotationDesiredHash, h)
		if err := r.applyCRD(ctx, desired); err != nil {
			r.record(Action{GVK: crdGVK, Name: name, Type: ActionFailed, Reason: "CRDApplyFailed", Message: err.Error()})
			continue
		}
		if !r.req.DryRun {
			if err := r.waitEstablished(ctx, name); err != nil {
				r.record(Action{GVK: crdGVK, Name: name, Type: ActionFailed, Reason: "CRDNotEstablished", Message: err.Error()})
			}
		}
	}
	r.req.Dest.Invalidate()
}

var crdGVK = apiextensionsv1.SchemeGroupVersion.WithKind("CustomResourceDefinition")

func crdForDest(src *apiextensionsv1.CustomResourceDefinition) (*unstructured.Unstructured, error) {
	c := &apiextensionsv1.CustomResourceDefinition{
		TypeMeta:   metav1.TypeMeta{APIVersion: crdGVK.GroupVersion().String(), Kind: crdGVK.Kind},
		ObjectMeta: metav1.ObjectMeta{Name: src.Name, Labels: src.Labels},
		Spec:       *src.Spec.DeepCopy(),
	}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(c)
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{Object: m}
	unstructured.RemoveNestedField(u.Object, "status")
	unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
	return u, nil
}

func (r *run) waitEstablished(ctx context.Context, name string) error {
	return wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, crdEstablishTimeout, true, func(ctx context.Context) (bool, error) {
		c := &apiextensionsv1.CustomResourceDefinition{}
		if err := r.req.Dest.Client.Get(ctx, client.ObjectKey{Name: name}, c); err != nil {
			return false, nil
		}
		for _, cond := range c.Status.Conditions {
			if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
				return true, nil
			}
		}
		return false, nil
	})
}

func setAnnotation(u *unstructured.Unstructured, k, v string) {
	a := u.GetAnnotations()
	if a == nil {
		a = map[string]string{}
	}
	a[k] = v
	u.SetAnnotations(a)
}
