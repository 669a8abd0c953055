package engine

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

func cmObject(data map[string]any, fields string, manager string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "c", "namespace": "n", "creationTimestamp": nil, "labels": map[string]any{"app": "x"}},
		"data":     data,
	}}
	if fields != "" {
		u.SetManagedFields([]metav1.ManagedFieldsEntry{{Manager: manager, Operation: metav1.ManagedFieldsOperationApply,
			APIVersion: "v1", FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(fields)}}})
	}
	return u
}

func TestConfirmedUnchanged(t *testing.T) {
	const owned = `{"f:data":{"f:a":{},"f:b":{}},"f:metadata":{"f:labels":{"f:app":{}}}}`
	desired := cmObject(map[string]any{"a": "1", "b": "2"}, "", "")
	cases := []struct {
		name string
		live *unstructured.Unstructured
		want bool
	}{
		{"same values, all owned", cmObject(map[string]any{"a": "1", "b": "2"}, owned, drv1.FieldManager), true},
		{"another manager's extra key", cmObject(map[string]any{"a": "1", "b": "2", "z": "9"}, owned, drv1.FieldManager), true},
		{"value edited", cmObject(map[string]any{"a": "1", "b": "9"}, owned, drv1.FieldManager), false},
		{"key removed", cmObject(map[string]any{"a": "1"}, owned, drv1.FieldManager), false},
		{"key taken by another manager", cmObject(map[string]any{"a": "1", "b": "2"}, `{"f:data":{"f:a":{}},"f:metadata":{"f:labels":{"f:app":{}}}}`, drv1.FieldManager), false},
		{"no dr-syncer entry", cmObject(map[string]any{"a": "1", "b": "2"}, owned, "kubectl"), false},
	}
	for _, c := range cases {
		if got := confirmedUnchanged(desired, c.live); got != c.want {
			t.Errorf("%s: confirmedUnchanged = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestHoldsNumbersAndLists(t *testing.T) {
	if !holds(map[string]any{"n": float64(3), "l": []any{map[string]any{"p": int64(80), "proto": "TCP"}}},
		map[string]any{"n": int64(3), "l": []any{map[string]any{"p": int64(80)}}}) {
		t.Error("server defaults inside list items and number representations must not count")
	}
	if holds(map[string]any{"l": []any{"a", "b"}}, map[string]any{"l": []any{"a"}}) {
		t.Error("a list of another length is a change")
	}
}
