package sync_test

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/controller/namespacemapping"
	"github.com/dr-syncer/dr-syncer/internal/engine"
)

// restartRequest returns a function giving a fresh-process engine request (empty applied cache)
// for a mapping of ns onto itself.
func restartRequest(g Gomega, name, ns string, mutate ...func(*drv1.NamespaceMapping)) func() engine.Request {
	m := mapping(name, ns, ns, mutate...)
	m.Namespace, m.UID = controllerNS, types.UID(name+"-uid")
	req, err := namespacemapping.EngineRequest(m, prod, dr, 8)
	g.Expect(err).NotTo(HaveOccurred())
	req.ConflictPolicy, req.ImmutableFieldPolicy = drv1.ConflictSkip, drv1.ImmutableSkip
	return func() engine.Request { r := req; r.Applied = engine.NewAppliedCache(); return r }
}

func syncOK(g Gomega, req engine.Request) *engine.Result {
	res, err := engine.Sync(context.Background(), req)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.Stats.Failed).To(BeZero(), "%+v", res.Failed)
	return res
}

// TestStrippedManagedFieldsStillDropRemovedSourceFields: managedFields stripped from a DR copy
// (patch managedFields: [{}]) must not leave fields later removed from the source in DR.
func TestStrippedManagedFieldsStillDropRemovedSourceFields(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, g, "strip")
	src := configMap(ns, "cfg", "tier", "gold")
	src.Data["extra"] = "x"
	sec := &corev1.Secret{ObjectMeta: objMeta(ns, "sec"), Data: map[string][]byte{"a": []byte("1"), "b": []byte("2")}}
	create(g, prod, src, sec)
	restart := restartRequest(g, "strip", ns)
	syncOK(g, restart())

	for _, obj := range []client.Object{&corev1.ConfigMap{}, &corev1.Secret{}} {
		name := "cfg"
		if _, ok := obj.(*corev1.Secret); ok {
			name = "sec"
		}
		g.Expect(dr.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, obj)).To(Succeed())
		g.Expect(dr.Client.Patch(ctx, obj, client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"managedFields":[{}]}}`)),
			client.FieldOwner("kubectl-patch"))).To(Succeed())
		g.Expect(obj.GetManagedFields()).To(BeEmpty())
	}
	// A resync between the strip and the source change (either outcome is fine here).
	syncOK(g, restart())

	// The source drops a key, a label and a Secret key while no controller runs.
	g.Expect(prod.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "cfg"}, src)).To(Succeed())
	delete(src.Data, "extra")
	delete(src.Labels, "tier")
	g.Expect(prod.Client.Update(ctx, src)).To(Succeed())
	g.Expect(prod.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "sec"}, sec)).To(Succeed())
	delete(sec.Data, "b")
	g.Expect(prod.Client.Update(ctx, sec)).To(Succeed())
	syncOK(g, restart())
	syncOK(g, restart())

	got := &corev1.ConfigMap{}
	g.Expect(dr.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "cfg"}, got)).To(Succeed())
	g.Expect(got.Data).NotTo(HaveKey("extra"), "a key dropped from the source stays in DR")
	g.Expect(got.Labels).NotTo(HaveKey("tier"), "a label dropped from the source stays in DR")
	gotSec := &corev1.Secret{}
	g.Expect(dr.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "sec"}, gotSec)).To(Succeed())
	g.Expect(gotSec.Data).NotTo(HaveKey("b"), "a Secret key dropped from the source stays in DR")
}

// TestRestartFindsEmptyDirSwappedByHand: a volume whose emptyDir: {} was replaced by hand with
// another volume source holds every non-empty value of the desired volume; it is still drift.
func TestRestartFindsEmptyDirSwappedByHand(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, g, "emptydir")
	d := deployment(ns, "web", 2)
	d.Spec.Template.Spec.Volumes = []corev1.Volume{{Name: "cache", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
	d.Spec.Template.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "cache", MountPath: "/cache"}}
	create(g, prod, d)
	restart := restartRequest(g, "emptydir", ns)
	syncOK(g, restart())

	got := &appsv1.Deployment{}
	g.Expect(dr.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, got)).To(Succeed())
	got.Spec.Template.Spec.Volumes[0].VolumeSource = corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
		LocalObjectReference: corev1.LocalObjectReference{Name: "by-hand"}}}
	g.Expect(dr.Client.Update(ctx, got, client.FieldOwner("kubectl-edit"))).To(Succeed())

	// The swap is found. Server-side apply cannot undo it (the configMap source is another
	// manager's field, and a volume takes one source), so it must fail loudly, never pass as
	// unchanged.
	res, err := engine.Sync(ctx, restart())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.Stats.Unchanged).To(BeZero(), "%+v", res.Actions)
	g.Expect(res.Failed).To(HaveLen(1))
	g.Expect(res.Failed[0].Message).To(ContainSubstring("may not specify more than 1 volume type"))
}

// TestRestartForgedDesiredHash: a source change made while no controller runs, with the DR copy's
// desired-hash annotation then set by hand to the new desired hash (by kubectl annotate, or a
// forced apply of another manager), is still applied.
func TestRestartForgedDesiredHash(t *testing.T) {
	for _, how := range []string{"update", "forced-apply"} {
		t.Run(how, func(t *testing.T) {
			g := NewWithT(t)
			ctx := context.Background()
			ns := newNamespace(t, g, "forge")
			src := configMap(ns, "cfg")
			create(g, prod, src)
			restart := restartRequest(g, "forge-"+how, ns)
			syncOK(g, restart())

			g.Expect(prod.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "cfg"}, src)).To(Succeed())
			src.Data["key"] = "new-value"
			g.Expect(prod.Client.Update(ctx, src)).To(Succeed())
			plan := restart()
			plan.DryRun, plan.KeepObjects = true, true
			res := syncOK(g, plan)
			hash := ""
			for _, a := range res.Actions {
				if a.Name == "cfg" && a.Desired != nil {
					hash = a.Desired.GetAnnotations()[engine.AnnotationDesiredHash]
				}
			}
			g.Expect(hash).NotTo(BeEmpty())

			got := &corev1.ConfigMap{}
			g.Expect(dr.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "cfg"}, got)).To(Succeed())
			if how == "update" {
				got.Annotations[engine.AnnotationDesiredHash] = hash
				g.Expect(dr.Client.Update(ctx, got, client.FieldOwner("kubectl-annotate"))).To(Succeed())
			} else {
				cfg := &unstructured.Unstructured{}
				cfg.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("ConfigMap"))
				cfg.SetNamespace(ns)
				cfg.SetName("cfg")
				cfg.SetAnnotations(map[string]string{engine.AnnotationDesiredHash: hash})
				g.Expect(dr.Client.Patch(ctx, cfg, client.Apply, client.FieldOwner("other"), client.ForceOwnership)).To(Succeed())
			}
			syncOK(g, restart())
			g.Expect(dr.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "cfg"}, got)).To(Succeed())
			g.Expect(got.Data["key"]).To(Equal("new-value"))
		})
	}
}

// TestRestartCustomResourceHandEdits: a custom resource with x-kubernetes-preserve-unknown-fields
// (no schema for the deduced field sets to disagree with) and an int-or-string field: hand edits
// of a float, an empty map, a nested value, a list element and an int-or-string's type are all
// found after a restart and undone.
func TestRestartCustomResourceHandEdits(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	crd := namespacedCRD("Blob", "blobs")
	crd.Spec.Versions[0].Schema.OpenAPIV3Schema = &apiextensionsv1.JSONSchemaProps{Type: "object", Properties: map[string]apiextensionsv1.JSONSchemaProps{
		"spec": {Type: "object", XPreserveUnknownFields: ptr.To(true), Properties: map[string]apiextensionsv1.JSONSchemaProps{
			"port": {XIntOrString: true, AnyOf: []apiextensionsv1.JSONSchemaProps{{Type: "integer"}, {Type: "string"}}},
		}},
	}}
	drCRD := crd.DeepCopy()
	installCRD(t, g, prod, crd)
	installCRD(t, g, dr, drCRD)
	gvk := schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Blob"}
	ns := newNamespace(t, g, "blobs")
	b := widget(gvk, ns, "b")
	b.Object["spec"] = map[string]any{"port": "80", "ratio": 1.5, "n": int64(1), "empty": map[string]any{},
		"list": []any{int64(1), "a", map[string]any{"x": int64(1)}}, "nested": map[string]any{"a": map[string]any{"b": "c"}}, "z": nil}
	create(g, prod, b)
	restart := restartRequest(g, "blobs", ns, func(m *drv1.NamespaceMapping) { m.Spec.ResourceTypes = []string{"blobs.example.com"} })
	syncOK(g, restart())
	want := nested(g, get(g, dr, gvk, ns, "b"), "spec")
	g.Expect(want).To(Equal(b.Object["spec"]))

	edits := map[string]func(spec map[string]any){
		"float":         func(s map[string]any) { s["ratio"] = 2.5 },
		"empty map":     func(s map[string]any) { delete(s, "empty") },
		"nested":        func(s map[string]any) { s["nested"].(map[string]any)["a"].(map[string]any)["b"] = "hand" },
		"list element":  func(s map[string]any) { s["list"] = s["list"].([]any)[:2] },
		"list map item": func(s map[string]any) { s["list"].([]any)[2].(map[string]any)["x"] = int64(2) },
		"int-or-string": func(s map[string]any) { s["port"] = int64(80) },
		"int to float":  func(s map[string]any) { s["n"] = 1.25 },
		"null set":      func(s map[string]any) { s["z"] = "x" },
	}
	for name, edit := range edits {
		live := get(g, dr, gvk, ns, "b")
		edit(live.Object["spec"].(map[string]any))
		g.Expect(dr.Client.Update(ctx, live, client.FieldOwner("kubectl-edit"))).To(Succeed(), name)
		res := syncOK(g, restart())
		g.Expect(res.Stats.Updated).To(BeEquivalentTo(1), "%s: %+v", name, res.Actions)
		g.Expect(nested(g, get(g, dr, gvk, ns, "b"), "spec")).To(Equal(want), name)
	}
}

// TestHandEditedKeyDroppedFromSourceStays documents a known gap (server-side apply semantics, not
// the restart check): a ConfigMap key edited by hand in DR and then dropped from the source is
// another manager's, and stays in DR, in one process as after a restart.
func TestHandEditedKeyDroppedFromSourceStays(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, g, "gap")
	src := configMap(ns, "cfg")
	src.Data["k3"] = "v3"
	create(g, prod, src)
	req := restartRequest(g, "gap", ns)()
	syncOK(g, req) // one process: the same applied cache throughout
	got := &corev1.ConfigMap{}
	g.Expect(dr.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "cfg"}, got)).To(Succeed())
	got.Data["k3"] = "by-hand"
	g.Expect(dr.Client.Update(ctx, got, client.FieldOwner("kubectl-edit"))).To(Succeed())
	g.Expect(prod.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "cfg"}, src)).To(Succeed())
	delete(src.Data, "k3")
	g.Expect(prod.Client.Update(ctx, src)).To(Succeed())
	syncOK(g, req)
	g.Expect(dr.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "cfg"}, got)).To(Succeed())
	g.Expect(got.Data).To(HaveKeyWithValue("k3", "by-hand"), "gap closed? then turn this test around")
}
