package standby_test

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// TestCopiesSurviveDRGarbageCollector: objects that have owners in the source — owners that are
// copied too (under another UID in DR), owners that are never copied (a Pod), controller owners
// named in syncOwnedBy — are copied, and DR's garbage collector, once it has demonstrably run
// over the namespace, has collected none of them.
func TestCopiesSurviveDRGarbageCollector(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(g, "owned")
	web := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns}, Spec: appsv1.DeploymentSpec{
		Replicas: ptr.To[int32](1), Selector: selector("web"), Template: template("web")}}
	runner := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "runner", Namespace: ns, Labels: map[string]string{"app": "runner"}},
		Spec: template("runner").Spec}
	create(g, web, runner)
	ref := func(apiVersion, kind string, o client.Object, controller bool) metav1.OwnerReference {
		return metav1.OwnerReference{APIVersion: apiVersion, Kind: kind, Name: o.GetName(), UID: o.GetUID(),
			Controller: ptr.To(controller), BlockOwnerDeletion: ptr.To(controller)}
	}
	toWeb, toRunner := ref("apps/v1", "Deployment", web, false), ref("v1", "Pod", runner, false)
	controlledByRunner := ref("v1", "Pod", runner, true)
	meta := func(name string, owners ...metav1.OwnerReference) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: name, Namespace: ns, OwnerReferences: owners}
	}
	owned := []client.Object{
		// Its owner is copied, but is another object (another UID) in DR.
		&corev1.ConfigMap{ObjectMeta: meta("owned-by-web", toWeb)},
		// Its owner, a Pod, is never copied.
		&corev1.ConfigMap{ObjectMeta: meta("owned-by-runner", toRunner)},
		&corev1.Service{ObjectMeta: meta("owned-by-runner", toRunner), Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": "runner"}, Ports: []corev1.ServicePort{{Port: 80}}}},
		&corev1.ConfigMap{ObjectMeta: meta("owned-by-both", toWeb, toRunner)},
		// Controlled by a Pod, synced because syncOwnedBy names Pods.
		&corev1.ConfigMap{ObjectMeta: meta("controlled-by-runner", controlledByRunner)},
		&corev1.Secret{ObjectMeta: meta("controlled-by-runner", controlledByRunner), StringData: map[string]string{"k": "v"}},
	}
	create(g, owned...)

	ref2 := mapping(g, ns, func(m *drv1.NamespaceMapping) {
		m.Spec.ResourceTypes = nil // the wildcard
		m.Spec.SyncOwnedBy = []drv1.OwnerKind{{Kind: "Pod"}}
	})
	r := drSyncer("sync", "--mapping", ref2)
	g.Expect(r.Code).To(Equal(0), "%s", r)

	// Every copy dr-syncer made, by kind and name, with its UID in DR.
	copies := map[string]types.UID{}
	for _, o := range append([]client.Object{&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns}}}, owned...) {
		obj := o.DeepCopyObject().(client.Object)
		g.Expect(dr.Client.Get(ctx, client.ObjectKeyFromObject(o), obj)).To(Succeed(), "%T %s was not copied", o, o.GetName())
		g.Expect(obj.GetLabels()).To(HaveKey(drv1.LabelMapping))
		copies[key(obj)] = obj.GetUID()
	}
	g.Expect(copies).To(HaveLen(len(owned) + 1))

	// The garbage collector has run over the namespace once it has collected an object whose
	// owner does not exist, created after the copies.
	orphan := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "gc-probe", Namespace: ns, OwnerReferences: []metav1.OwnerReference{{
		APIVersion: "v1", Kind: "ConfigMap", Name: "gone", UID: uuid.NewUUID(),
	}}}}
	g.Expect(dr.Client.Create(ctx, orphan)).To(Succeed())
	g.Eventually(func() bool {
		return apierrors.IsNotFound(dr.Client.Get(ctx, client.ObjectKeyFromObject(orphan), &corev1.ConfigMap{}))
	}).WithTimeout(timeout).WithPolling(interval).Should(BeTrue(), "DR's garbage collector never collected the probe")

	for _, o := range append([]client.Object{&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns}}}, owned...) {
		obj := o.DeepCopyObject().(client.Object)
		err := dr.Client.Get(ctx, client.ObjectKeyFromObject(o), obj)
		g.Expect(err).NotTo(HaveOccurred(), "DR's garbage collector collected the copy %s", key(o))
		g.Expect(obj.GetUID()).To(Equal(copies[key(obj)]), "%s was deleted and created again", key(obj))
	}
}

// key names an object by Go type and name, for messages.
func key(o client.Object) string {
	switch o.(type) {
	case *appsv1.Deployment:
		return "Deployment/" + o.GetName()
	case *corev1.ConfigMap:
		return "ConfigMap/" + o.GetName()
	case *corev1.Service:
		return "Service/" + o.GetName()
	case *corev1.Secret:
		return "Secret/" + o.GetName()
	}
	return o.GetName()
}
