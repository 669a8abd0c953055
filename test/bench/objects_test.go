package bench

import (
	"context"
	"github.com/dr-syncer/dr-syncer/internal/cluster"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func deployment(ns, name string) *appsv1.Deployment {
	replicas := int32(2)
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27"}}},
			},
		},
	}
}

var resources = map[string]string{"ConfigMap": "configmaps", "Secret": "secrets", "Service": "services", "Deployment": "deployments"}

func gvrOf(u *unstructured.Unstructured) schema.GroupVersionResource {
	gvk := u.GroupVersionKind()
	return gvk.GroupVersion().WithResource(resources[gvk.Kind])
}

// writeOne creates an object, or server-side applies it when apply is set.
func writeOne(ctx context.Context, h *cluster.Handle, ns string, c *unstructured.Unstructured, apply bool) error {
	ri := h.Dynamic.Resource(gvrOf(c)).Namespace(ns)
	var err error
	if apply {
		_, err = ri.Apply(ctx, c.GetName(), c, metav1.ApplyOptions{FieldManager: "bench", Force: true})
	} else {
		_, err = ri.Create(ctx, c, metav1.CreateOptions{})
	}
	return err
}
