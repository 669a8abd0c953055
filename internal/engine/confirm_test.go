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

// The server's field sets are finer (keyed lists) or coarser (atomic maps) than the deduced
// schema's: both are owned.
func TestConfirmedUnchangedSchemaGranularity(t *testing.T) {
	obj := func(image string) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "apps/v1", "kind": "Deployment",
			"metadata": map[string]any{"name": "d", "namespace": "n"},
			"spec": map[string]any{
				"selector": map[string]any{"matchLabels": map[string]any{"app": "d"}},
				"template": map[string]any{"spec": map[string]any{"containers": []any{map[string]any{"name": "c", "image": image}}}},
			},
		}}
	}
	const owned = `{"f:spec":{"f:selector":{},"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"c\"}":{".":{},"f:image":{},"f:name":{}}}}}}}`
	live := obj("nginx")
	live.SetManagedFields([]metav1.ManagedFieldsEntry{{Manager: drv1.FieldManager, Operation: metav1.ManagedFieldsOperationApply,
		APIVersion: "apps/v1", FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(owned)}}})
	if !confirmedUnchanged(obj("nginx"), live) {
		t.Error("an atomic selector and a keyed container list owned by dr-syncer must confirm")
	}
	if confirmedUnchanged(obj("nginx:2"), live) {
		t.Error("another image in a container is a change")
	}
}
