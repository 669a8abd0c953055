package sync_test

import (
	"context"
	"errors"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/engine"
)

// TestDrillGate: the gate's drill writes go only into the scratch namespace it created itself,
// only objects with the drill label; it refuses the DR or source namespace and a namespace that
// is not a drill namespace of this DR namespace, and deletes only a drill namespace of this one.
func TestDrillGate(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	cmGVR := schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	configMap := func(ns string, labels map[string]string) *unstructured.Unstructured {
		u := &unstructured.Unstructured{}
		u.SetAPIVersion("v1")
		u.SetKind("ConfigMap")
		u.SetName("settings")
		u.SetNamespace(ns)
		u.SetLabels(labels)
		return u
	}
	drNS, srcNS := "shop-gate", "prod-shop-gate"
	gate := func(drill string) *engine.Gate {
		return &engine.Gate{Source: prod, Dest: dr, SourceNamespace: srcNS, DestNamespace: drNS, DrillNamespace: drill}
	}

	for _, name := range []string{drNS, srcNS, ""} {
		err := gate(name).CreateDrillNamespace(ctx, nil)
		g.Expect(errors.Is(err, engine.ErrNotDrillNamespace)).To(BeTrue(), "%q: %v", name, err)
		_, err = gate(name).DeleteDrillNamespace(ctx)
		g.Expect(errors.Is(err, engine.ErrNotDrillNamespace)).To(BeTrue(), "%q: %v", name, err)
	}

	// A namespace someone else made is neither taken over nor deleted.
	other := "not-a-drill-gate"
	create(g, dr, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: other, Labels: map[string]string{drv1.LabelDrillOf: "another-namespace"}}})
	gOther := gate(other)
	g.Expect(errors.Is(gOther.CreateDrillNamespace(ctx, nil), engine.ErrNotDrillNamespace)).To(BeTrue())
	_, err := gOther.DeleteDrillNamespace(ctx)
	g.Expect(errors.Is(err, engine.ErrNotDrillNamespace)).To(BeTrue())
	_, err = gOther.CreateDrillObject(ctx, cmGVR, configMap(other, map[string]string{drv1.LabelDrillOf: drNS}))
	g.Expect(err).To(MatchError(ContainSubstring("was not created by this drill")))
	ns := &corev1.Namespace{}
	g.Expect(dr.Client.Get(ctx, client.ObjectKey{Name: other}, ns)).To(Succeed())
	g.Expect(ns.DeletionTimestamp).To(BeNil())

	// Its own scratch namespace: labelled objects there, nothing elsewhere, nothing unlabelled.
	drill := "shop-gate-drill"
	gd := gate(drill)
	g.Expect(gd.CreateDrillNamespace(ctx, map[string]string{"team": "payments", drv1.LabelMapping: "x", corev1.LabelMetadataName: drNS})).To(Succeed())
	g.Expect(dr.Client.Get(ctx, client.ObjectKey{Name: drill}, ns)).To(Succeed())
	g.Expect(ns.Labels).To(Equal(map[string]string{"team": "payments", drv1.LabelDrillOf: drNS, corev1.LabelMetadataName: drill}))
	_, err = gd.CreateDrillObject(ctx, cmGVR, configMap(drNS, map[string]string{drv1.LabelDrillOf: drNS}))
	g.Expect(err).To(MatchError(ContainSubstring("a drill writes only objects labelled")))
	_, err = gd.CreateDrillObject(ctx, cmGVR, configMap(drill, nil))
	g.Expect(err).To(MatchError(ContainSubstring("a drill writes only objects labelled")))
	_, err = gd.CreateDrillObject(ctx, cmGVR, configMap(drill, map[string]string{drv1.LabelDrillOf: drNS}))
	g.Expect(err).NotTo(HaveOccurred())

	// A second drill finds it left over; deleting it is allowed (a drill namespace of this one).
	g.Expect(errors.Is(gate(drill).CreateDrillNamespace(ctx, nil), engine.ErrDrillNamespaceExists)).To(BeTrue())
	uid, err := gate(drill).DeleteDrillNamespace(ctx)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(uid).To(Equal(ns.UID))
}
