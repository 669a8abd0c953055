package cli_test

// Reproductions from the hostile review of the delete guard's recorded peak, the flag form's
// identity and cutover's scope (branch review9b). Each test names the behaviour the docs
// promise; it fails while the finding stands.

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/engine"
)

// peakKey returns the one peak.dr-syncer.io/ annotation key on the DR namespace.
func peakKey(g Gomega, ns string) string {
	n := &corev1.Namespace{}
	g.Expect(dr.Client.Get(context.Background(), client.ObjectKey{Name: ns}, n)).To(Succeed())
	var keys []string
	for k := range n.Annotations {
		if strings.HasPrefix(k, engine.PeakAnnotationPrefix) {
			keys = append(keys, k)
		}
	}
	g.Expect(keys).To(HaveLen(1), "annotations: %v", n.Annotations)
	return keys[0]
}

func setAnnotation(g Gomega, ns, key, value string) {
	patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, key, value)
	g.Expect(dr.Client.Patch(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}},
		client.RawPatch(types.MergePatchType, []byte(patch)))).To(Succeed())
}

func configMapCopies(g Gomega, ns string) int {
	l := &corev1.ConfigMapList{}
	g.Expect(dr.Client.List(context.Background(), l, client.InNamespace(ns), client.HasLabels{drv1.LabelMapping})).To(Succeed())
	return len(l.Items)
}

// TestDeleteGuardRemembersAPeakSeenSecondsAgo: "when a deletion would take the mapping more than
// prune.maxDeletePercent % below the most objects it managed within that window [24 h] ...
// nothing more is deleted" (docs/concepts.md). The recorded peak keeps the time it was first
// raised, not the last time a run saw the mapping at that level, so it expires 24 h after the
// mapping last grew even when the mapping was at its peak a moment ago. Here the mapping has
// managed 100 copies for a day; a prune of 45 (allowed) just before the mark expires and one of
// 27 just after it take 72 % of the copies within seconds, and the guard never trips.
func TestDeleteGuardRemembersAPeakSeenSecondsAgo(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(g, prod, "peak-age")
	cms := configMaps(ns, 100)
	create(g, prod, cms...)
	args := append([]string{"sync", "--prune"}, flagForm(ns)...)
	r := drSyncer(t, args...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	g.Expect(configMapCopies(g, ns)).To(Equal(100))

	// The mapping grew to 100 a day ago (less 3 seconds) and has managed 100 ever since.
	key := peakKey(g, ns)
	recorded := time.Now().Add(-engine.DeleteGuardWindow + 3*time.Second)
	setAnnotation(g, ns, key, "100@"+strconv.FormatInt(recorded.Unix(), 10))

	for _, cm := range cms[:45] {
		g.Expect(prod.Client.Delete(ctx, cm)).To(Succeed())
	}
	r = drSyncer(t, args...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	g.Expect(configMapCopies(g, ns)).To(Equal(55), "45 %% is within the guard's 50 %%: %s", r)
	t.Logf("mark after pruning 45 of 100: %s", peakValue(g, ns, key))

	// A few seconds later the mark recorded a day ago would have expired; the mapping managed
	// 100 copies seconds ago.
	g.Eventually(func() bool { return time.Since(recorded) > engine.DeleteGuardWindow+time.Second }).
		WithTimeout(10 * time.Second).WithPolling(interval).Should(BeTrue())
	for _, cm := range cms[45:72] {
		g.Expect(prod.Client.Delete(ctx, cm)).To(Succeed())
	}
	r = drSyncer(t, args...)
	t.Logf("%s", r)
	g.Expect(configMapCopies(g, ns)).To(Equal(55),
		"72 of the 100 copies the mapping managed seconds ago were deleted without the guard tripping; mark now %s", peakValue(g, ns, key))
}

func peakValue(g Gomega, ns, key string) string {
	n := &corev1.Namespace{}
	g.Expect(dr.Client.Get(context.Background(), client.ObjectKey{Name: ns}, n)).To(Succeed())
	return n.Annotations[key]
}

// TestCLIApprovedPruneStartsTheWindowAgain: "An approved prune starts the window again from the
// objects that remain" (docs/concepts.md): `sync --allow-prune` approves a held prune like the
// dr-syncer.io/allow-prune annotation, so a routine prune of one object afterwards is not held
// because of the approved clean-up.
func TestCLIApprovedPruneStartsTheWindowAgain(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(g, prod, "approve")
	cms := configMaps(ns, 30)
	create(g, prod, cms...)
	args := append([]string{"sync", "--prune"}, flagForm(ns)...)
	r := drSyncer(t, args...)
	g.Expect(r.Code).To(Equal(0), "%s", r)

	// A deliberate clean-up of 20 of 30: held, then approved with --allow-prune.
	for _, cm := range cms[:20] {
		g.Expect(prod.Client.Delete(ctx, cm)).To(Succeed())
	}
	r = drSyncer(t, args...)
	g.Expect(configMapCopies(g, ns)).To(Equal(30), "the guard holds 20 of 30: %s", r)
	r = drSyncer(t, append(args, "--allow-prune")...)
	g.Expect(configMapCopies(g, ns)).To(Equal(10), "approved: %s", r)

	// Next release: one ConfigMap goes.
	g.Expect(prod.Client.Delete(ctx, cms[20])).To(Succeed())
	r = drSyncer(t, args...)
	t.Logf("%s", r)
	g.Expect(configMapCopies(g, ns)).To(Equal(9), "a routine deletion of 1 of 10 copies after the approved clean-up must go: mark %s",
		peakValue(g, ns, peakKey(g, ns)))
}

// TestFailbackAfterFlagFormCutoverKeepsAnAdministratorsPause: "failback restores the
// administrator's earlier paused state" (docs). On the day of the disaster the controller's
// cluster is often the one that is down, so cutover runs in the flag form, which pauses no
// mapping and records nothing. The failback (by --mapping, once the controller is back) finds no
// dr-syncer.io/paused-before-cutover record and unpauses the mapping the administrator had paused.
func TestFailbackAfterFlagFormCutoverKeepsAnAdministratorsPause(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(g, prod, "held-flag")
	create(g, prod, deploymentIn(ns, "api", 2))
	m := mapping(g, ns, ns)
	byMapping := []string{"--mapping", controllerNS + "/" + ns, "--kubeconfig", kubeconfigs["prod"]}
	g.Expect(drSyncer(t, append([]string{"sync"}, byMapping...)...).Code).To(Equal(0))
	base := getMapping(g, prod, controllerNS, m.Name)
	paused := base.DeepCopy()
	paused.Spec.Paused = true
	g.Expect(prod.Client.Patch(ctx, paused, client.MergeFrom(base))).To(Succeed())

	r := drSyncer(t, append([]string{"cutover"}, flagForm(ns)...)...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	r = drSyncer(t, append([]string{"failback"}, byMapping...)...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	t.Logf("%s", r)
	g.Expect(getMapping(g, prod, controllerNS, m.Name).Spec.Paused).To(BeTrue(), "the administrator's pause was lifted by a failback whose cutover never paused the mapping")
}
