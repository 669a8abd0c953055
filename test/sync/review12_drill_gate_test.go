package sync_test

import (
	"context"
	"errors"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/engine"
)

// TestDrillGateSparesDRNamespaces: a namespace that dr-syncer syncs into (the delete guard's
// peak annotation) or that a cutover brought live is never deleted as a drill's left-over, even
// when it carries the drill label of this DR namespace (copied by hand, or forged).
func TestDrillGateSparesDRNamespaces(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	for name, ann := range map[string]string{
		"forged-drill-synced": engine.PeakAnnotationPrefix + "abc",
		"forged-drill-live":   drv1.AnnotationLiveSince,
	} {
		create(g, dr, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name,
			Labels:      map[string]string{drv1.LabelDrillOf: "shop-spare"},
			Annotations: map[string]string{ann: "3@1700000000"}}})
		gate := &engine.Gate{Source: prod, Dest: dr, SourceNamespace: "prod-shop-spare", DestNamespace: "shop-spare", DrillNamespace: name}
		_, err := gate.DeleteDrillNamespace(ctx)
		g.Expect(errors.Is(err, engine.ErrNotDrillNamespace)).To(BeTrue(), "%s: %v", name, err)
		ns := &corev1.Namespace{}
		g.Expect(dr.Client.Get(ctx, client.ObjectKey{Name: name}, ns)).To(Succeed())
		g.Expect(ns.DeletionTimestamp).To(BeNil(), name)
		// A drill there is refused as well: the namespace is not taken over.
		g.Expect(errors.Is(gate.CreateDrillNamespace(ctx, nil), engine.ErrNotDrillNamespace)).To(BeTrue(), name)
	}
}
