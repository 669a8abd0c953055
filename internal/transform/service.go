package transform

import (
	"encoding/json"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// serviceToDestination drops what the source cluster allocated for a Service: its cluster IPs
// (outside the DR service CIDR, or taken), and the node ports and health-check port that no
// field manager of the source set (read from src's managedFields). Headless stays headless;
// ports a manager chose are kept. A source without managedFields keeps its nodePorts.
func serviceToDestination(obj, src *unstructured.Unstructured) error {
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

	set, err := managedServicePorts(src)
	if err != nil {
		return objectError(src, err)
	}
	if set == nil || !set.healthCheck {
		unstructured.RemoveNestedField(obj.Object, "spec", "healthCheckNodePort")
	}
	if set == nil {
		return nil
	}
	ports, found, err := unstructured.NestedSlice(obj.Object, "spec", "ports")
	if err != nil || !found {
		return err
	}
	for i, p := range ports {
		port, ok := p.(map[string]any)
		if !ok {
			return objectError(obj, fmt.Errorf("spec.ports[%d] is %T, not an object", i, p))
		}
		number, _ := port["port"].(int64)
		protocol, _ := port["protocol"].(string)
		if protocol == "" {
			protocol = "TCP"
		}
		if !set.nodePorts[servicePortKey{number, protocol}] {
			delete(port, "nodePort")
		}
	}
	return unstructured.SetNestedSlice(obj.Object, ports, "spec", "ports")
}

type servicePortKey struct {
	port     int64
	protocol string
}

// managedPorts says which allocatable Service fields some field manager set.
type managedPorts struct {
	nodePorts   map[servicePortKey]bool
	healthCheck bool
}

// managedServicePorts reads the fieldsV1 of every managedFields entry of a Service: ports are
// keyed by port and protocol ("k:{\"port\":80,\"protocol\":\"TCP\"}"). nil means the object has
// no managedFields, so nothing can be told apart.
func managedServicePorts(src *unstructured.Unstructured) (*managedPorts, error) {
	entries := src.GetManagedFields()
	if len(entries) == 0 {
		return nil, nil
	}
	out := &managedPorts{nodePorts: map[servicePortKey]bool{}}
	for _, e := range entries {
		if e.FieldsV1 == nil {
			continue
		}
		var fields struct {
			Spec struct {
				HealthCheckNodePort *struct{}                  `json:"f:healthCheckNodePort"`
				Ports               map[string]json.RawMessage `json:"f:ports"`
			} `json:"f:spec"`
		}
		if err := json.Unmarshal(e.FieldsV1.Raw, &fields); err != nil {
			return nil, fmt.Errorf("managedFields of %s: %w", e.Manager, err)
		}
		out.healthCheck = out.healthCheck || fields.Spec.HealthCheckNodePort != nil
		for key, raw := range fields.Spec.Ports {
			if !strings.HasPrefix(key, "k:") {
				continue
			}
			var item map[string]json.RawMessage
			if err := json.Unmarshal(raw, &item); err != nil {
				return nil, fmt.Errorf("managedFields of %s: %w", e.Manager, err)
			}
			if _, ok := item["f:nodePort"]; !ok {
				continue
			}
			var k struct {
				Port     int64  `json:"port"`
				Protocol string `json:"protocol"`
			}
			if err := json.Unmarshal([]byte(strings.TrimPrefix(key, "k:")), &k); err != nil {
				return nil, fmt.Errorf("managedFields of %s: port key %s: %w", e.Manager, key, err)
			}
			out.nodePorts[servicePortKey{k.Port, k.Protocol}] = true
		}
	}
	return out, nil
}
