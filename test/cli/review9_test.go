package cli_test

// Reproductions from the hostile review of the issue 9 safety work (branch review9). Each test
// names the behaviour the safety rules promise; it fails while the finding stands.

import (
	"context"
	"fmt"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// TestFlagFormPruneDripIsGuarded: "one delete guard for every delete path ... a window a slow
// drip cannot slip through" (docs/concepts.md, Safety rules, CLI sync). Two `sync --prune`
// runs of the flag form, each deleting 10 copies (the guard's minimum), take all 20 of the
// mapping's copies; the controller's guard would hold the second run.
func TestFlagFormPruneDripIsGuarded(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(g, prod, "drip")
	create(g, prod, configMaps(ns, 20)...)
	args := append([]string{"sync", "--prune"}, flagForm(ns)...)
	r := drSyncer(t, args...)
	g.Expect(r.code).To(Equal(0), "%s", r)
	copies := func() int {
		l := &corev1.ConfigMapList{}
		g.Expect(dr.Client.List(ctx, l, client.InNamespace(ns), client.HasLabels{drv1.LabelMapping})).To(Succeed())
		return len(l.Items)
	}
	g.Expect(copies()).To(Equal(20))

	for round := range 2 {
		for i := range 10 {
			g.Expect(prod.Client.Delete(ctx, configMaps(ns, 20)[round*10+i])).To(Succeed())
		}
		r = drSyncer(t, args...)
		t.Logf("round %d: %s", round, r)
	}
	g.Expect(copies()).To(BeNumerically(">=", 10), "two runs of 10 deletions each took every copy; last run: %s", fmt.Sprint(r))
}
