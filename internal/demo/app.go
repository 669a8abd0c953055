package demo

import (
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The sample application: one object of each kind an administrator expects a DR copy of.
const (
	appNamespace  = "shop"
	appDeployment = "web"
	appReplicas   = 3
	appService    = "web"
	appIngress    = "web"
	appConfigMap  = "settings"
	appSecret     = "db-credentials"
	appCronJob    = "nightly-report"
	// revisionKey is the ConfigMap key the demo changes to show propagation.
	revisionKey = "revision"
)

// appKinds lists the sample application's kinds, in the order they are created.
const appKinds = "ConfigMap, Secret, Deployment, Service, Ingress, CronJob"

// sampleApp returns the objects of the sample application in namespace ns.
func sampleApp(ns string) []client.Object {
	labels := map[string]string{"app": appDeployment}
	pod := corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: labels},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "web", Image: "nginx:1.27",
			Ports:   []corev1.ContainerPort{{ContainerPort: 8080}},
			EnvFrom: []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: appConfigMap}}}},
		}}},
	}
	job := corev1.PodTemplateSpec{Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyOnFailure,
		Containers: []corev1.Container{{Name: "report", Image: "busybox:1.37", Command: []string{"sh", "-c", "echo report"}}}}}
	meta := func(name string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"app.kubernetes.io/part-of": "shop"}}
	}
	return []client.Object{
		&corev1.ConfigMap{ObjectMeta: meta(appConfigMap), Data: map[string]string{"GREETING": "hello from prod", revisionKey: "1"}},
		&corev1.Secret{ObjectMeta: meta(appSecret), Type: corev1.SecretTypeOpaque,
			StringData: map[string]string{"username": "shop", "password": "demo-only-password"}},
		&appsv1.Deployment{ObjectMeta: meta(appDeployment), Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](appReplicas), Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: pod}},
		&corev1.Service{ObjectMeta: meta(appService), Spec: corev1.ServiceSpec{Selector: labels,
			Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}}}},
		&networkingv1.Ingress{ObjectMeta: meta(appIngress), Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{
			Host: "shop.example.com",
			IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{
				Path: "/", PathType: ptr.To(networkingv1.PathTypePrefix),
				Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
					Name: appService, Port: networkingv1.ServiceBackendPort{Name: "http"}}},
			}}}},
		}}}},
		&batchv1.CronJob{ObjectMeta: meta(appCronJob), Spec: batchv1.CronJobSpec{Schedule: "0 2 * * *",
			JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: job}}}},
	}
}
