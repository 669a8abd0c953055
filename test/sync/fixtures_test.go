package sync_test

import (
	"sync/atomic"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

func objMeta(ns, name string, labels ...string) metav1.ObjectMeta {
	m := metav1.ObjectMeta{Namespace: ns, Name: name}
	for i := 0; i+1 < len(labels); i += 2 {
		if m.Labels == nil {
			m.Labels = map[string]string{}
		}
		m.Labels[labels[i]] = labels[i+1]
	}
	return m
}

func podTemplate(app string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": app}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27",
			Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")}}}}},
	}
}

func configMap(ns, name string, labels ...string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: objMeta(ns, name, labels...), Data: map[string]string{"key": "value-" + name}}
}

func deployment(ns, name string, replicas int32, labels ...string) *appsv1.Deployment {
	return &appsv1.Deployment{ObjectMeta: objMeta(ns, name, labels...), Spec: appsv1.DeploymentSpec{
		Replicas: ptr.To(replicas), Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}}, Template: podTemplate(name),
	}}
}

// fullApp is one of every kind the engine treats specially, plus plain ones.
func fullApp(ns string) []client.Object {
	return []client.Object{
		configMap(ns, "settings"),
		&corev1.Secret{ObjectMeta: objMeta(ns, "db-credentials"), Type: corev1.SecretTypeOpaque, StringData: map[string]string{"password": "s3cr3t-value"}},
		deployment(ns, "web", 3),
		&appsv1.StatefulSet{ObjectMeta: objMeta(ns, "db"), Spec: appsv1.StatefulSetSpec{
			Replicas: ptr.To[int32](2), ServiceName: "db-headless",
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}}, Template: podTemplate("db"),
		}},
		&batchv1.CronJob{ObjectMeta: objMeta(ns, "nightly"), Spec: batchv1.CronJobSpec{Schedule: "0 1 * * *",
			JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: func() corev1.PodTemplateSpec {
				t := podTemplate("nightly")
				t.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
				return t
			}()}}}},
		&appsv1.DaemonSet{ObjectMeta: objMeta(ns, "agent"), Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "agent"}},
			Template: func() corev1.PodTemplateSpec {
				t := podTemplate("agent")
				t.Spec.NodeSelector = map[string]string{"role": "edge"}
				return t
			}(),
		}},
		&corev1.Service{ObjectMeta: objMeta(ns, "web"), Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"},
			Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}}}},
		&corev1.Service{ObjectMeta: objMeta(ns, "web-nodeport"), Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Selector: map[string]string{"app": "web"},
			Ports: []corev1.ServicePort{{Port: 80, NodePort: nextNodePort()}}}},
		&corev1.Service{ObjectMeta: objMeta(ns, "db-headless"), Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, Selector: map[string]string{"app": "db"},
			Ports: []corev1.ServicePort{{Port: 5432}}}},
		&networkingv1.Ingress{ObjectMeta: objMeta(ns, "web"), Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{Host: "shop.example.com",
			IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{
				Path: "/", PathType: ptr.To(networkingv1.PathTypePrefix),
				Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "web", Port: networkingv1.ServiceBackendPort{Number: 80}}},
			}}}}}}}},
		&corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "data",
			Annotations: map[string]string{"pv.kubernetes.io/bind-completed": "yes", "volume.kubernetes.io/selected-node": "node-1"}},
			Spec: corev1.PersistentVolumeClaimSpec{AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				StorageClassName: ptr.To("fast-prod"), VolumeName: "pv-0001",
				Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}}}},
		&corev1.ServiceAccount{ObjectMeta: objMeta(ns, "app"), Secrets: []corev1.ObjectReference{{Name: "app-token-abcde"}}},
		&rbacv1.Role{ObjectMeta: objMeta(ns, "reader"), Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get"}}}},
		&rbacv1.RoleBinding{ObjectMeta: objMeta(ns, "reader"), RoleRef: rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "reader"},
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "app", Namespace: ns}, {Kind: "ServiceAccount", Name: "monitor", Namespace: "monitoring"}}},
		// Skipped by the built-in selection rules.
		&corev1.ServiceAccount{ObjectMeta: objMeta(ns, "default")},
		&corev1.ConfigMap{ObjectMeta: objMeta(ns, "kube-root-ca.crt"), Data: map[string]string{"ca.crt": "x"}},
		configMap(ns, "ignored", "dr-syncer.io/ignore", "true"),
	}
}

var nodePorts atomic.Int32

// nextNodePort hands out node ports: they are unique per cluster, and tests share clusters.
func nextNodePort() int32 { return 30080 + nodePorts.Add(1) }
