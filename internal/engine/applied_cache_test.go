package engine

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// TestDesiredHashLeavesSecretDataOut: a Secret's hash does not change with its data (so it cannot
// confirm a guess of the data), but with everything else; other kinds hash their data too.
func TestDesiredHashLeavesSecretDataOut(t *testing.T) {
	obj := func(kind, value, label string) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "v1", "kind": kind,
			"metadata": map[string]any{"name": "creds", "namespace": "shop", "labels": map[string]any{"tier": label}},
			"data":     map[string]any{"password": value},
		}}
	}
	hash := func(u *unstructured.Unstructured) string {
		h, err := desiredHash(u)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	if a, b := hash(obj("Secret", "czNjcjN0", "gold")), hash(obj("Secret", "Z3Vlc3M=", "gold")); a != b {
		t.Errorf("Secret hash depends on the data: %s != %s", a, b)
	}
	if a, b := hash(obj("Secret", "czNjcjN0", "gold")), hash(obj("Secret", "czNjcjN0", "silver")); a == b {
		t.Error("Secret hash ignores a label change")
	}
	if a, b := hash(obj("ConfigMap", "one", "gold")), hash(obj("ConfigMap", "two", "gold")); a == b {
		t.Error("ConfigMap hash ignores its data")
	}
	s := obj("Secret", "czNjcjN0", "gold")
	hash(s)
	if s.Object["data"] == nil {
		t.Error("desiredHash changed the object")
	}
}

func TestSameSecretData(t *testing.T) {
	secret := func(data map[string]any) *unstructured.Unstructured {
		u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Secret"}}
		if data != nil {
			u.Object["data"] = data
		}
		return u
	}
	for _, c := range []struct {
		name string
		a, b map[string]any
		same bool
	}{
		{"equal", map[string]any{"k": "djE="}, map[string]any{"k": "djE="}, true},
		{"both empty", nil, map[string]any{}, true},
		{"value changed", map[string]any{"k": "djE="}, map[string]any{"k": "djI="}, false},
		{"key added by someone else in DR", map[string]any{"k": "djE="}, map[string]any{"k": "djE=", "l": "djE="}, true},
		{"key removed", map[string]any{"k": "djE="}, nil, false},
	} {
		if got := sameSecretData(secret(c.a), secret(c.b)); got != c.same {
			t.Errorf("%s: sameSecretData = %v, want %v", c.name, got, c.same)
		}
	}
	// A key dr-syncer wrote that the source no longer has: the apply removes it.
	live := secret(map[string]any{"k": "djE=", "gone": "djE="})
	live.SetManagedFields([]metav1.ManagedFieldsEntry{{Manager: drv1.FieldManager, Operation: metav1.ManagedFieldsOperationApply,
		FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:data":{".":{},"f:gone":{},"f:k":{}}}`)}}})
	if sameSecretData(secret(map[string]any{"k": "djE="}), live) {
		t.Error("a key dr-syncer owns that the source dropped: sameSecretData = true, want false")
	}
}
