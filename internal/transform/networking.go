package transform

import (
	"encoding/json"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// With Options.ParkNetworking, what would take traffic in DR before cutover is parked too, with
// its originals recorded like a ParkingRule's (annotation dr-syncer.io/original-fields):
//   - an Ingress gets the class ParkedIngressClass, which no ingress controller serves (in
//     spec.ingressClassName, or in the legacy kubernetes.io/ingress.class annotation when the
//     Ingress uses that: the API server refuses both at once);
//   - a LoadBalancer Service becomes a ClusterIP Service: no cloud load balancer, no node ports;
//     the fields only a LoadBalancer may have are removed while parked;
//   - both get external-dns's controller annotation with a value that is not external-dns's, so
//     that external-dns in DR publishes no records for them
//     (https://github.com/kubernetes-sigs/external-dns/blob/master/docs/annotations/annotations.md).
const (
	// ParkedIngressClass is the ingress class of a parked Ingress.
	ParkedIngressClass = "dr-syncer-parked"
	// ExternalDNSControllerAnnotation: external-dns skips an object whose value is not its own.
	ExternalDNSControllerAnnotation = "external-dns.alpha.kubernetes.io/controller"
	legacyIngressClassAnnotation    = "kubernetes.io/ingress.class"
)

var gkIngress = schema.GroupKind{Group: "networking.k8s.io", Kind: "Ingress"}

// loadBalancerOnly are the Service fields the API server accepts only on a LoadBalancer (or
// NodePort) Service: removed while it is parked as ClusterIP.
var loadBalancerOnly = []string{
	"allocateLoadBalancerNodePorts", "loadBalancerClass", "loadBalancerIP", "loadBalancerSourceRanges",
	"externalTrafficPolicy", "healthCheckNodePort",
}

// parkNetworking parks an Ingress or a LoadBalancer Service (other Services are left alone).
func parkNetworking(obj *unstructured.Unstructured) error {
	specs, err := networkingSpecs(obj)
	if err != nil || specs == nil {
		return err
	}
	sorted, err := completeSpecs(specs)
	if err != nil {
		return objectError(obj, err)
	}
	return fieldsParking(sorted).park(obj)
}

func networkingSpecs(obj *unstructured.Unstructured) ([]fieldSpec, error) {
	parkedClass, _ := json.Marshal(ParkedIngressClass)
	specs := []fieldSpec{{path: annotationPointer(ExternalDNSControllerAnnotation), parked: parkedClass}}
	if groupKind(obj) == gkIngress {
		annotations, err := stringMap(obj, "metadata", "annotations")
		if err != nil {
			return nil, err
		}
		if _, legacy := annotations[legacyIngressClassAnnotation]; legacy {
			return append(specs, fieldSpec{path: annotationPointer(legacyIngressClassAnnotation), parked: parkedClass}), nil
		}
		return append(specs, fieldSpec{path: "/spec/ingressClassName", parked: parkedClass}), nil
	}
	spec, _, err := unstructured.NestedMap(obj.Object, "spec")
	if err != nil {
		return nil, objectError(obj, err)
	}
	if spec["type"] != "LoadBalancer" {
		return nil, nil
	}
	clusterIP, _ := json.Marshal("ClusterIP")
	specs = append(specs, fieldSpec{path: "/spec/type", parked: clusterIP})
	for _, f := range loadBalancerOnly {
		if _, set := spec[f]; set {
			specs = append(specs, fieldSpec{path: "/spec/" + f}) // removed while parked
		}
	}
	if ports, ok := spec["ports"].([]any); ok {
		parked := make([]any, len(ports))
		nodePorts := false
		for i, p := range ports {
			port, ok := p.(map[string]any)
			if !ok {
				parked[i] = p
				continue
			}
			c := make(map[string]any, len(port))
			for k, v := range port {
				if k == "nodePort" {
					nodePorts = true
					continue
				}
				c[k] = v
			}
			parked[i] = c
		}
		if nodePorts {
			b, err := json.Marshal(parked)
			if err != nil {
				return nil, objectError(obj, err)
			}
			specs = append(specs, fieldSpec{path: "/spec/ports", parked: b})
		}
	}
	return specs, nil
}
