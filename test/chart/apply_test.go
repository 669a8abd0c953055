package chart

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// TestChartAppliesToControlPlane installs the rendered chart into a real API server, which
// validates every object against its schema (the CRDs' OpenAPI and CEL rules included), and
// checks that installing the same release again changes nothing.
func TestChartAppliesToControlPlane(t *testing.T) {
	for _, tc := range []struct {
		name, release, values string
	}{
		{name: "defaults", release: "apply-defaults"},
		{name: "everything enabled", release: "apply-all", values: everythingEnabled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			a := newAdmin(t)
			ns := tc.release
			a.createNamespace(t, ns, nil)
			r := mustRender(t, tc.release, ns, values(t, tc.values))
			a.install(t, r)

			versions := map[string]string{}
			for _, obj := range r.Objects {
				got, err := a.resource(t, a.dynamic, obj).Get(ctx, obj.GetName(), metav1.GetOptions{})
				if err != nil {
					t.Fatalf("%s %s after install: %v", obj.GetKind(), obj.GetName(), err)
				}
				for k, v := range obj.GetLabels() {
					if got.GetLabels()[k] != v {
						t.Errorf("%s %s: label %s=%q, want %q", obj.GetKind(), obj.GetName(), k, got.GetLabels()[k], v)
					}
				}
				versions[obj.GetKind()+"/"+obj.GetName()] = got.GetResourceVersion()

				if obj.GetKind() == "CustomResourceDefinition" {
					crd := &apiextensionsv1.CustomResourceDefinition{}
					if err := runtime.DefaultUnstructuredConverter.FromUnstructured(got.Object, crd); err != nil {
						t.Fatal(err)
					}
					if !crdEstablished(crd) {
						t.Errorf("CRD %s is not Established after the chart's apply", crd.Name)
					}
				}
			}

			// Installing the same release again (helm upgrade with unchanged values) writes nothing.
			a.install(t, mustRender(t, tc.release, ns, values(t, tc.values)))
			for _, obj := range r.Objects {
				got, err := a.resource(t, a.dynamic, obj).Get(ctx, obj.GetName(), metav1.GetOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if key := obj.GetKind() + "/" + obj.GetName(); got.GetResourceVersion() != versions[key] {
					t.Errorf("%s changed on a second identical install", key)
				}
			}
		})
	}
}

// TestPodMeetsRestrictedPodSecurity creates a pod from the chart's pod template in a namespace that
// enforces the "restricted" Pod Security Standard.
func TestPodMeetsRestrictedPodSecurity(t *testing.T) {
	ctx := context.Background()
	a := newAdmin(t)
	const ns = "pod-security"
	a.createNamespace(t, ns, map[string]string{
		"pod-security.kubernetes.io/enforce":         "restricted",
		"pod-security.kubernetes.io/enforce-version": "latest",
	})
	r := mustRender(t, "pod-security", ns, nil)
	a.install(t, r)
	tmpl := r.deployment(t).Spec.Template

	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "controller", Namespace: ns, Labels: tmpl.Labels}, Spec: tmpl.Spec}
	if _, err := a.kube.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatalf("the chart's pod is refused under the restricted Pod Security Standard: %v", err)
	}

	// The namespace does enforce: the same pod without its container security context is refused.
	weak := pod.DeepCopy()
	weak.Name = "weak"
	weak.Spec.Containers[0].SecurityContext = nil
	_, err := a.kube.CoreV1().Pods(ns).Create(ctx, weak, metav1.CreateOptions{})
	if err == nil || !strings.Contains(err.Error(), "violates PodSecurity") {
		t.Fatalf("a pod without container security context: err = %v, want a PodSecurity refusal", err)
	}
}

func crdEstablished(crd *apiextensionsv1.CustomResourceDefinition) bool {
	for _, c := range crd.Status.Conditions {
		if c.Type == apiextensionsv1.Established {
			return c.Status == apiextensionsv1.ConditionTrue
		}
	}
	return false
}
