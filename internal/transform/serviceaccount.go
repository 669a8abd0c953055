package transform

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// serviceAccountToDestination drops the token Secrets the source cluster generated; they are not
// synced (see SkipReason) and DR mints its own. imagePullSecrets are user data and stay.
func serviceAccountToDestination(obj *unstructured.Unstructured) {
	unstructured.RemoveNestedField(obj.Object, "secrets")
}
