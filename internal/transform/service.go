package transform

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// serviceToDestination drops what the source cluster allocated for a Service: its cluster IPs
// (outside the DR service CIDR, or taken) and health-check port. Headless stays headless, and
// explicitly chosen nodePorts are kept.
func serviceToDestination(obj *unstructured.Unstructured) error {
	clusterIP, _, err := unstructured.NestedString(obj.Object, "spec", "clusterIP")
	if err != nil {
		return objectError(obj, err)
	}
	if clusterIP == "None" {
		if err := unstructured.SetNestedStringSlice(obj.Object, []string{"None"}, "spec", "clusterIPs"); err != nil {
			return objectError(obj, err)
		}
	} else {
		unstructured.RemoveNestedField(obj.Object, "spec", "clusterIP")
		unstructured.RemoveNestedField(obj.Object, "spec", "clusterIPs")
	}
	// ipFamilies must agree with the (new) cluster IPs; the DR API server derives them from
	// ipFamilyPolicy, which is a choice and stays.
	unstructured.RemoveNestedField(obj.Object, "spec", "ipFamilies")
	unstructured.RemoveNestedField(obj.Object, "spec", "healthCheckNodePort")
	return nil
}
