package transform

import (
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// SkipReason says why obj must not be synced at all, or "" when it should be.
// (labelSelector filtering is done by the caller, not here.)
func SkipReason(obj *unstructured.Unstructured, opts Options) string {
	if obj.GetLabels()[drv1.LabelIgnore] == "true" {
		return "ignored by label " + drv1.LabelIgnore
	}
	// The DR cluster's own controllers recreate these from their (synced) owner; a copy would
	// fight them and be garbage-collected anyway. What DR cannot recreate is synced, without
	// the ownerReference.
	if ref := metav1.GetControllerOfNoCopy(obj); ref != nil && !syncedDespiteOwner(obj, ref, opts.SyncOwnedBy) {
		return "owned by controller " + ref.Kind + "/" + ref.Name
	}
	// Each cluster mints its own tokens, root CA bundle and default ServiceAccount.
	switch gk, name := groupKind(obj), obj.GetName(); {
	case gk == gkSecret:
		switch t, _, _ := unstructured.NestedString(obj.Object, "type"); t {
		case "kubernetes.io/service-account-token":
			return "service account token"
		case StashSecretType:
			return "dr-syncer's stash of an object held back until cutover"
		}
	case gk == gkPod && opts.Rules[gkPod] == nil:
		// A bare Pod runs as soon as it exists and has nothing that parks it (its spec is
		// immutable): never copied, unless a ParkingRule says how (stash: true).
		return "a Pod runs as soon as it is created and cannot be parked: sync the workload that makes it, or stash Pods with a ParkingRule"
	case gk == gkConfigMap && name == "kube-root-ca.crt":
		return "cluster root CA bundle"
	case gk == gkServiceAccount && name == "default":
		return "default service account"
	}
	return ""
}

// gkCertificate issues the Secrets that DR cannot recreate without reissuing the certificate.
var gkCertificate = schema.GroupKind{Group: "cert-manager.io", Kind: "Certificate"}

// syncedDespiteOwner tells whether an object with controller owner ref is synced all the same:
// a cert-manager Certificate's Secret, or an object of an owner kind in syncOwnedBy.
func syncedDespiteOwner(obj *unstructured.Unstructured, ref *metav1.OwnerReference, syncOwnedBy []schema.GroupKind) bool {
	owner := schema.FromAPIVersionAndKind(ref.APIVersion, ref.Kind).GroupKind()
	if owner == gkCertificate && groupKind(obj) == gkSecret {
		return true
	}
	return slices.Contains(syncOwnedBy, owner)
}
