package transform

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// namespaceNameLabel is the label every namespace carries with its own name.
const namespaceNameLabel = "kubernetes.io/metadata.name"

// retargetNamespaceSelectors points the NetworkPolicy peers that select the source namespace by
// name (label kubernetes.io/metadata.name, in matchLabels or matchExpressions values, ingress
// and egress) at the destination namespace. Peers naming other namespaces stay.
func retargetNamespaceSelectors(obj *unstructured.Unstructured, from, to string) error {
	if from == to || from == "" {
		return nil
	}
	for _, rule := range []struct{ direction, peers string }{{"ingress", "from"}, {"egress", "to"}} {
		rules, found, err := unstructured.NestedSlice(obj.Object, "spec", rule.direction)
		if err != nil {
			return objectError(obj, err)
		}
		if !found {
			continue
		}
		for i, r := range rules {
			rm, ok := r.(map[string]any)
			if !ok {
				return objectError(obj, fmt.Errorf("spec.%s[%d] is %T, not an object", rule.direction, i, r))
			}
			peers, _ := rm[rule.peers].([]any)
			for _, p := range peers {
				peer, _ := p.(map[string]any)
				sel, _ := peer["namespaceSelector"].(map[string]any)
				if sel != nil {
					retargetSelector(sel, from, to)
				}
			}
		}
		if err := unstructured.SetNestedSlice(obj.Object, rules, "spec", rule.direction); err != nil {
			return objectError(obj, err)
		}
	}
	return nil
}

// retargetSelector rewrites one label selector (in place) from namespace name from to to.
func retargetSelector(sel map[string]any, from, to string) {
	if labels, ok := sel["matchLabels"].(map[string]any); ok && labels[namespaceNameLabel] == from {
		labels[namespaceNameLabel] = to
	}
	exprs, _ := sel["matchExpressions"].([]any)
	for _, e := range exprs {
		expr, _ := e.(map[string]any)
		if expr == nil || expr["key"] != namespaceNameLabel {
			continue
		}
		values, _ := expr["values"].([]any)
		for i, v := range values {
			if v == from {
				values[i] = to
			}
		}
	}
}
