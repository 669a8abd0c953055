package ops

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// TestAdaptForDrill: what would clash with the DR namespace or production is adapted or left
// out, with a note; the copy keeps its parked state and records, loses the mapping label and
// carries the drill label.
func TestAdaptForDrill(t *testing.T) {
	cases := []struct {
		name  string
		obj   string
		skip  string   // in the reason, when it is not created
		notes []string // in the notes, in order
		check func(t *testing.T, out *unstructured.Unstructured)
	}{
		{name: "load balancer", obj: `
apiVersion: v1
kind: Service
metadata: {name: web, uid: u1, resourceVersion: "7", labels: {dr-syncer.io/mapping: m, app: web},
  annotations: {dr-syncer.io/source: prod/shop/web, external-dns.alpha.kubernetes.io/hostname: shop.example.com}}
spec: {type: LoadBalancer, clusterIP: 10.0.0.7, clusterIPs: [10.0.0.7], loadBalancerIP: 1.2.3.4, externalTrafficPolicy: Local,
  healthCheckNodePort: 31000, ports: [{port: 80, nodePort: 30080}]}
status: {loadBalancer: {ingress: [{ip: 1.2.3.4}]}}
`, notes: []string{"external-dns.alpha.kubernetes.io/hostname dropped", "type LoadBalancer created as ClusterIP"},
			check: func(t *testing.T, out *unstructured.Unstructured) {
				spec := out.Object["spec"].(map[string]any)
				for _, f := range []string{"clusterIP", "clusterIPs", "loadBalancerIP", "externalTrafficPolicy", "healthCheckNodePort"} {
					if _, ok := spec[f]; ok {
						t.Errorf("spec.%s kept", f)
					}
				}
				if spec["type"] != "ClusterIP" {
					t.Errorf("type %v", spec["type"])
				}
				if _, ok := spec["ports"].([]any)[0].(map[string]any)["nodePort"]; ok {
					t.Error("nodePort kept")
				}
				if _, ok := out.Object["status"]; ok {
					t.Error("status kept")
				}
				if out.GetUID() != "" || out.GetResourceVersion() != "" {
					t.Error("uid or resourceVersion kept")
				}
			}},
		{name: "job with the selector the DR API server generated", obj: `
apiVersion: batch/v1
kind: Job
metadata: {name: migrate, labels: {batch.kubernetes.io/controller-uid: u2, app: m}}
spec:
  suspend: true
  selector: {matchLabels: {batch.kubernetes.io/controller-uid: u2}}
  template:
    metadata: {labels: {app: m, controller-uid: u2, batch.kubernetes.io/controller-uid: u2, job-name: migrate, batch.kubernetes.io/job-name: migrate}}
    spec: {restartPolicy: Never, containers: [{name: c, image: i}]}
`, check: func(t *testing.T, out *unstructured.Unstructured) {
			if _, found, _ := unstructured.NestedFieldNoCopy(out.Object, "spec", "selector"); found {
				t.Error("spec.selector kept: the API server refuses a new Job with another Job's generated selector")
			}
			labels, _, _ := unstructured.NestedStringMap(out.Object, "spec", "template", "metadata", "labels")
			if len(labels) != 1 || labels["app"] != "m" {
				t.Errorf("template labels %v; want app=m only", labels)
			}
		}},
		{name: "node port", obj: `
apiVersion: v1
kind: Service
metadata: {name: admin, annotations: {dr-syncer.io/source: prod/shop/admin}}
spec: {type: NodePort, clusterIP: 10.0.0.8, ports: [{port: 80, nodePort: 30081}, {port: 443, nodePort: 30443}], externalIPs: [192.0.2.1]}
`, notes: []string{"fixed nodePorts 30081, 30443 dropped", "externalIPs dropped"},
			check: func(t *testing.T, out *unstructured.Unstructured) {
				if typ, _, _ := unstructured.NestedString(out.Object, "spec", "type"); typ != "NodePort" {
					t.Errorf("type %q", typ)
				}
			}},
		{name: "headless", obj: `
apiVersion: v1
kind: Service
metadata: {name: db}
spec: {clusterIP: None, ports: [{port: 5432}]}
`, check: func(t *testing.T, out *unstructured.Unstructured) {
			if ip, _, _ := unstructured.NestedString(out.Object, "spec", "clusterIP"); ip != "None" {
				t.Errorf("clusterIP %q", ip)
			}
		}},
		{name: "ingress", obj: `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec: {rules: [{host: shop.example.com}]}
`, skip: "Ingress web not created"},
		{name: "certificate", obj: `
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: web}
`, skip: "order certificates"},
		{name: "token secret", obj: `
apiVersion: v1
kind: Secret
metadata: {name: tok}
type: kubernetes.io/service-account-token
`, skip: "issues service account tokens"},
		{name: "bound claim", obj: `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, annotations: {pv.kubernetes.io/bind-completed: "yes"}}
spec: {volumeName: pv-1, resources: {requests: {storage: 1Gi}}}
`, notes: []string{"new, empty volume"},
			check: func(t *testing.T, out *unstructured.Unstructured) {
				if _, ok, _ := unstructured.NestedString(out.Object, "spec", "volumeName"); ok {
					t.Error("volumeName kept")
				}
				if _, ok := out.GetAnnotations()["pv.kubernetes.io/bind-completed"]; ok {
					t.Error("bind annotation kept")
				}
			}},
		{name: "role binding subject", obj: `
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: app}
subjects: [{kind: ServiceAccount, name: app, namespace: shop}, {kind: ServiceAccount, name: mon, namespace: monitoring}]
roleRef: {kind: Role, name: app, apiGroup: rbac.authorization.k8s.io}
`, check: func(t *testing.T, out *unstructured.Unstructured) {
			subjects, _, _ := unstructured.NestedSlice(out.Object, "subjects")
			if subjects[0].(map[string]any)["namespace"] != "shop-drill" || subjects[1].(map[string]any)["namespace"] != "monitoring" {
				t.Errorf("subjects %v", subjects)
			}
		}},
		{name: "parked deployment", obj: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, generation: 4, ownerReferences: [{apiVersion: v1, kind: ConfigMap, name: x, uid: gone}],
  labels: {dr-syncer.io/mapping: m}, annotations: {dr-syncer.io/original-replicas: "3", dr-syncer.io/source: prod/shop/web}}
spec: {replicas: 0}
`, check: func(t *testing.T, out *unstructured.Unstructured) {
			if out.GetAnnotations()[drv1.AnnotationOriginalReplicas] != "3" {
				t.Error("record lost")
			}
			if len(out.GetOwnerReferences()) != 0 || out.GetGeneration() != 0 {
				t.Error("ownerReferences or generation kept")
			}
			if r, _, _ := unstructured.NestedInt64(out.Object, "spec", "replicas"); r != 0 {
				t.Errorf("replicas %d: adapting must not activate", r)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, notes, skip := adaptForDrill(object(t, c.obj), "shop", "shop-drill")
			if c.skip != "" {
				if out != nil || !strings.Contains(skip, c.skip) {
					t.Fatalf("created=%t skip %q; want not created, %q", out != nil, skip, c.skip)
				}
				return
			}
			if out == nil {
				t.Fatalf("not created: %s", skip)
			}
			joined := strings.Join(notes, "\n")
			for _, n := range c.notes {
				if !strings.Contains(joined, n) {
					t.Errorf("notes %q; want %q", joined, n)
				}
			}
			if len(c.notes) == 0 && len(notes) > 0 {
				t.Errorf("notes %q; want none", joined)
			}
			if out.GetNamespace() != "shop-drill" || out.GetLabels()[drv1.LabelDrillOf] != "shop" {
				t.Errorf("namespace %q, labels %v", out.GetNamespace(), out.GetLabels())
			}
			if _, ok := out.GetLabels()[drv1.LabelMapping]; ok {
				t.Error("mapping label kept")
			}
			if c.check != nil {
				c.check(t, out)
			}
		})
	}
}
