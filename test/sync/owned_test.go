package sync_test

import (
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// ownedBy makes meta's object controlled by an owner that need not exist (no garbage collector
// runs in the test clusters).
func ownedBy(meta metav1.ObjectMeta, apiVersion, kind, name string) metav1.ObjectMeta {
	meta.OwnerReferences = []metav1.OwnerReference{{APIVersion: apiVersion, Kind: kind, Name: name,
		UID: types.UID("uid-" + name), Controller: ptr.To(true)}}
	return meta
}

// TestOwnedObjectsDRCannotRecreate: a Secret of a cert-manager Certificate is synced by default,
// its ownerReference stripped; syncOwnedBy adds owner kinds; other owned objects stay skipped.
func TestOwnedObjectsDRCannotRecreate(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, g, "owned")
	create(g, prod,
		&corev1.Secret{ObjectMeta: ownedBy(objMeta(ns, "web-tls"), "cert-manager.io/v1", "Certificate", "web"),
			Data: map[string][]byte{"tls.crt": []byte("crt"), "tls.key": []byte("key")}},
		&corev1.ConfigMap{ObjectMeta: ownedBy(objMeta(ns, "generated"), "example.com/v1", "Generator", "gen")},
		&corev1.ConfigMap{ObjectMeta: ownedBy(objMeta(ns, "from-deployment"), "apps/v1", "Deployment", "web")},
	)

	create(g, prod, mapping("owned-default", ns, ns+"-default"))
	m := triggerSync(t, g, "owned-default")
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced), failedNames(m))
	tls := get(g, dr, gvkSecret, ns+"-default", "web-tls")
	g.Expect(tls.GetOwnerReferences()).To(BeEmpty())
	g.Expect(nested(g, tls, "data", "tls.crt")).NotTo(BeNil())
	g.Expect(absent(dr, gvkConfigMap, ns+"-default", "generated")).To(BeTrue())
	g.Expect(absent(dr, gvkConfigMap, ns+"-default", "from-deployment")).To(BeTrue())

	create(g, prod, mapping("owned-extra", ns, ns+"-extra", func(m *drv1.NamespaceMapping) {
		m.Spec.SyncOwnedBy = []drv1.OwnerKind{{Group: "example.com", Kind: "Generator"}}
	}))
	m = triggerSync(t, g, "owned-extra")
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced), failedNames(m))
	g.Expect(get(g, dr, gvkConfigMap, ns+"-extra", "generated").GetOwnerReferences()).To(BeEmpty())
	get(g, dr, gvkSecret, ns+"-extra", "web-tls")
	g.Expect(absent(dr, gvkConfigMap, ns+"-extra", "from-deployment")).To(BeTrue())
}
