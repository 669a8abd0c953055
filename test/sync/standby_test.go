package sync_test

import (
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/engine"
)

var (
	gvkConfigMap   = schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}
	gvkSecret      = schema.GroupVersionKind{Version: "v1", Kind: "Secret"}
	gvkService     = schema.GroupVersionKind{Version: "v1", Kind: "Service"}
	gvkPVC         = schema.GroupVersionKind{Version: "v1", Kind: "PersistentVolumeClaim"}
	gvkSA          = schema.GroupVersionKind{Version: "v1", Kind: "ServiceAccount"}
	gvkNamespace   = schema.GroupVersionKind{Version: "v1", Kind: "Namespace"}
	gvkDeployment  = schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}
	gvkStatefulSet = schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "StatefulSet"}
	gvkDaemonSet   = schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "DaemonSet"}
	gvkCronJob     = schema.GroupVersionKind{Group: "batch", Version: "v1", Kind: "CronJob"}
	gvkIngress     = schema.GroupVersionKind{Group: "networking.k8s.io", Version: "v1", Kind: "Ingress"}
	gvkRoleBinding = schema.GroupVersionKind{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "RoleBinding"}
	gvkRole        = schema.GroupVersionKind{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "Role"}
)

// TestStandbyImage syncs one of every kind into a renamed DR namespace and checks the DR objects
// field by field (behaviours 2, 3, 4, 5).
func TestStandbyImage(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, g, "shop")
	dest := ns + "-dr"
	create(g, prod, fullApp(ns)...)
	create(g, prod, mapping("standby", ns, dest, func(m *drv1.NamespaceMapping) {
		m.Spec.PVCConfig = drv1.PVCConfig{StorageClassMappings: []drv1.StorageClassMapping{{From: "fast-prod", To: "fast-dr"}}}
	}))
	m := triggerSync(t, g, "standby")
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced), failedNames(m))
	g.Expect(condition(m, drv1.ConditionReady).Status).To(Equal(metav1.ConditionTrue))
	g.Expect(m.Status.LastSyncStats.Failed).To(BeZero(), failedNames(m))
	g.Expect(m.Status.LastSyncStats.Created).To(BeNumerically(">=", 14))
	g.Expect(m.Status.LastSyncStats.Skipped).To(BeNumerically(">=", 3))
	g.Expect(m.Status.LastSuccessfulSyncTime).NotTo(BeNil())

	// Namespace created with the source's labels and annotations.
	nsObj := get(g, dr, gvkNamespace, "", dest)
	g.Expect(nsObj.GetLabels()).To(HaveKeyWithValue("team", "payments"))
	g.Expect(nsObj.GetLabels()).To(HaveKeyWithValue("kubernetes.io/metadata.name", dest))
	g.Expect(nsObj.GetAnnotations()).To(HaveKeyWithValue("owner", "alice"))

	id := engine.MappingID(controllerNS, "standby")
	cm := get(g, dr, gvkConfigMap, dest, "settings")
	g.Expect(cm.GetLabels()).To(HaveKeyWithValue(drv1.LabelMapping, id))
	g.Expect(cm.GetAnnotations()).To(HaveKeyWithValue(drv1.AnnotationSource, "local/"+ns+"/settings"))
	g.Expect(nested(g, cm, "data", "key")).To(Equal("value-settings"))
	g.Expect(nested(g, get(g, dr, gvkSecret, dest, "db-credentials"), "data", "password")).NotTo(BeNil())

	web := get(g, dr, gvkDeployment, dest, "web")
	g.Expect(nested(g, web, "spec", "replicas")).To(BeEquivalentTo(0))
	g.Expect(web.GetAnnotations()).To(HaveKeyWithValue(drv1.AnnotationOriginalReplicas, "3"))
	g.Expect(web.GetOwnerReferences()).To(BeEmpty())
	db := get(g, dr, gvkStatefulSet, dest, "db")
	g.Expect(nested(g, db, "spec", "replicas")).To(BeEquivalentTo(0))
	g.Expect(db.GetAnnotations()).To(HaveKeyWithValue(drv1.AnnotationOriginalReplicas, "2"))

	cj := get(g, dr, gvkCronJob, dest, "nightly")
	g.Expect(nested(g, cj, "spec", "suspend")).To(Equal(true))
	g.Expect(cj.GetAnnotations()).To(HaveKeyWithValue(drv1.AnnotationOriginalSuspend, "false"))
	agent := get(g, dr, gvkDaemonSet, dest, "agent")
	g.Expect(nested(g, agent, "spec", "template", "spec", "nodeSelector")).To(Equal(map[string]any{"dr-syncer.io/parked": "true"}))
	g.Expect(agent.GetAnnotations()).To(HaveKeyWithValue(drv1.AnnotationOriginalNodeSelector, `{"role":"edge"}`))

	srcSvc := get(g, prod, gvkService, ns, "web")
	svc := get(g, dr, gvkService, dest, "web")
	g.Expect(nested(g, svc, "spec", "clusterIP")).NotTo(Equal(nested(g, srcSvc, "spec", "clusterIP")), "DR allocates its own cluster IP")
	np := get(g, dr, gvkService, dest, "web-nodeport")
	srcNP := get(g, prod, gvkService, ns, "web-nodeport")
	g.Expect(nested(g, np, "spec", "ports").([]any)[0].(map[string]any)["nodePort"]).To(Equal(nested(g, srcNP, "spec", "ports").([]any)[0].(map[string]any)["nodePort"]))
	g.Expect(nested(g, get(g, dr, gvkService, dest, "db-headless"), "spec", "clusterIP")).To(Equal("None"))

	ing := get(g, dr, gvkIngress, dest, "web")
	g.Expect(nested(g, ing, "spec", "rules").([]any)[0].(map[string]any)["host"]).To(Equal("shop.example.com"))

	pvc := get(g, dr, gvkPVC, dest, "data")
	g.Expect(nested(g, pvc, "spec", "volumeName")).To(BeNil())
	g.Expect(nested(g, pvc, "spec", "storageClassName")).To(Equal("fast-dr"))
	g.Expect(pvc.GetAnnotations()).NotTo(HaveKey("pv.kubernetes.io/bind-completed"))
	g.Expect(pvc.GetAnnotations()).NotTo(HaveKey("volume.kubernetes.io/selected-node"))

	sa := get(g, dr, gvkSA, dest, "app")
	g.Expect(nested(g, sa, "secrets")).To(BeNil())
	get(g, dr, gvkRole, dest, "reader")
	rb := get(g, dr, gvkRoleBinding, dest, "reader")
	subjects := nested(g, rb, "subjects").([]any)
	g.Expect(subjects[0].(map[string]any)["namespace"]).To(Equal(dest))
	g.Expect(subjects[1].(map[string]any)["namespace"]).To(Equal("monitoring"))

	// Skipped by selection.
	g.Expect(absent(dr, gvkSA, dest, "default")).To(BeTrue())
	g.Expect(absent(dr, gvkConfigMap, dest, "kube-root-ca.crt")).To(BeTrue())
	g.Expect(absent(dr, gvkConfigMap, dest, "ignored")).To(BeTrue())

	// Nothing was created in the source.
	g.Expect(absent(prod, gvkNamespace, "", dest)).To(BeTrue())
}
