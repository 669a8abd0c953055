package transform

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// SkipReason says why obj must not be synced at all, or "" when it should be.
// (labelSelector filtering is done by the caller, not here.)
func SkipReason(obj *unstructured.Unstructured) string {
	if obj.GetLabels()[drv1.LabelIgnore] == "true" {
		return "ignored by label " + drv1.LabelIgnore
	}
	// The DR cluster's own controllers recreate these from their (synced) owner; a copy would
	// fight them and be garbage-collected anyway.
	for _, ref := range obj.GetOwnerReferences() {
		if ref.Controller != nil && *ref.Controller {
			return "owned by controller " + ref.Kind + "/" + ref.Name
		}
	}
	// Each cluster mints its own tokens, root CA bundle and default ServiceAccount.
	switch gk, name := groupKind(obj), obj.GetName(); {
	case gk == gkSecret:
		if t, _, _ := unstructured.NestedString(obj.Object, "type"); t == "kubernetes.io/service-account-token" {
			return "service account token"
		}
	case gk == gkConfigMap && name == "kube-root-ca.crt":
		return "cluster root CA bundle"
	case gk == gkServiceAccount && name == "default":
		return "default service account"
	}
	return ""
}
