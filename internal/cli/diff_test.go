package cli

import (
	"encoding/base64"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/dr-syncer/dr-syncer/internal/engine"
)

func secret(name string, data map[string]any, annotations map[string]any) *unstructured.Unstructured {
	meta := map[string]any{"name": name, "namespace": "shop", "resourceVersion": "7", "uid": "u",
		"managedFields": []any{map[string]any{"manager": "dr-syncer"}}}
	if annotations != nil {
		meta["annotations"] = annotations
	}
	return &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": meta, "data": data}}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestObjectDiffMasksSecretValues(t *testing.T) {
	gvk := schema.GroupVersionKind{Version: "v1", Kind: "Secret"}
	live := secret("creds", map[string]any{"password": b64("old-pass"), "user": b64("admin"), "gone": b64("gone-value")},
		map[string]any{lastApplied: `{"data":{"password":"` + b64("old-pass") + `"}}`, engine.AnnotationDesiredHash: "live-hash-value"})
	planned := secret("creds", map[string]any{"password": b64("new-pass"), "user": b64("admin"), "added": b64("added-value")},
		map[string]any{engine.AnnotationDesiredHash: "planned-hash-value"})
	planned.Object["stringData"] = map[string]any{"token": "plain-token"}

	cases := map[string]engine.Action{
		"update": {GVK: gvk, Name: "creds", Type: engine.ActionUpdate, Live: live, Desired: planned},
		"create": {GVK: gvk, Name: "creds", Type: engine.ActionCreate, Desired: planned},
		"delete": {GVK: gvk, Name: "creds", Type: engine.ActionDelete, Live: live},
	}
	for name, a := range cases {
		t.Run(name, func(t *testing.T) {
			d, err := objectDiff(a)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range []string{"old-pass", "new-pass", "admin", "gone-value", "added-value", "plain-token", "live-hash-value", "planned-hash-value"} {
				if strings.Contains(d, v) || strings.Contains(d, b64(v)) {
					t.Errorf("diff shows the value %q:\n%s", v, d)
				}
			}
			if !strings.Contains(d, "--- live/v1.Secret.shop.creds\n+++ planned/v1.Secret.shop.creds\n") {
				t.Errorf("diff lacks kubectl-style file names:\n%s", d)
			}
			if strings.Contains(d, "managedFields") || strings.Contains(d, "resourceVersion") {
				t.Errorf("diff shows server bookkeeping:\n%s", d)
			}
		})
	}
	d, _ := objectDiff(cases["update"])
	for _, want := range []string{"-  password: '*** (before)'", "+  password: '*** (after)'", "   user: '***'", "-  gone: '***'", "+  added: '***'"} {
		if !strings.Contains(d, want) {
			t.Errorf("update diff lacks %q:\n%s", want, d)
		}
	}
	// Masked input objects stay untouched: the engine's result is not ours to change.
	if live.Object["data"].(map[string]any)["password"] != b64("old-pass") {
		t.Error("objectDiff changed the live object")
	}
}

func TestObjectDiffShowsOtherKindsInFull(t *testing.T) {
	cm := func(v string) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": "settings", "namespace": "shop"}, "data": map[string]any{"mode": v, "a": "1", "b": "2", "c": "3", "d": "4"}}}
	}
	d, err := objectDiff(engine.Action{GVK: schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, Name: "settings",
		Type: engine.ActionUpdate, Live: cm("blue"), Desired: cm("green")})
	if err != nil {
		t.Fatal(err)
	}
	want := "@@ -4,7 +4,7 @@\n   b: \"2\"\n   c: \"3\"\n   d: \"4\"\n-  mode: blue\n+  mode: green\n kind: ConfigMap\n"
	if !strings.Contains(d, want) {
		t.Errorf("diff lacks the hunk %q:\n%s", want, d)
	}
	gone, err := objectDiff(engine.Action{GVK: schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, Name: "settings",
		Type: engine.ActionDelete, Live: cm("blue")})
	if err != nil || !strings.HasSuffix(gone, "-  namespace: shop\n") || !strings.Contains(gone, "@@ -1,11 +0,0 @@\n") {
		t.Errorf("a deletion removes every line and adds none: %v\n%s", err, gone)
	}
	none, _ := objectDiff(engine.Action{Type: engine.ActionConflict, Live: cm("blue"), Desired: cm("green")})
	if none != "" {
		t.Errorf("a conflict has a diff: %s", none)
	}
}
