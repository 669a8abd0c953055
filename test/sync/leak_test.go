package sync_test

import (
	"fmt"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/testbed/harness"
)

// footprint is what the in-process controller keeps in memory about mappings.
type footprint struct {
	States, Watchers, SourceInformers, MetricSeries int
}

// currentFootprint counts it; metric series are those of mappings whose name starts with prefix.
func currentFootprint(g Gomega, prefix string) footprint {
	f := footprint{
		States:          harness.Internals.MappingStates(),
		Watchers:        harness.Internals.Watchers(),
		SourceInformers: harness.Internals.SourceInformers(),
	}
	families, err := ctrlmetrics.Registry.Gather()
	g.Expect(err).NotTo(HaveOccurred())
	for _, fam := range families {
		for _, m := range fam.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "mapping" && strings.HasPrefix(l.GetValue(), controllerNS+"/"+prefix) {
					f.MetricSeries++
				}
			}
		}
	}
	return f
}

// TestNoLeakAfterDeletion creates and deletes many mappings, of each deletion policy, one of them
// deleted and created again under the same name: afterwards the controller keeps no state,
// watcher, informer or metric series for any of them.
func TestNoLeakAfterDeletion(t *testing.T) {
	g := NewWithT(t)
	const n = 24
	src := [2]string{newNamespace(t, g, "leak-a"), newNamespace(t, g, "leak-b")}
	for _, ns := range src {
		create(g, prod, configMap(ns, "one"), configMap(ns, "two"))
	}
	before := currentFootprint(g, "leak-")
	t.Logf("before: %+v", before)

	names := make([]string, n)
	for i := range n {
		names[i] = fmt.Sprintf("leak-%d", i)
		policy := drv1.DeletionRetain
		if i%2 == 1 {
			policy = drv1.DeletionDelete
		}
		mode := drv1.ModeContinuous
		if i%3 == 2 {
			mode = drv1.ModeManual
		}
		create(g, prod, mapping(names[i], src[i%2], fmt.Sprintf("%s-to-%d", src[i%2], i), func(m *drv1.NamespaceMapping) {
			m.Spec.ReplicationMode, m.Spec.DeletionPolicy = mode, policy
		}))
	}
	for i, name := range names {
		if i%3 == 2 {
			triggerSync(t, g, name)
			continue
		}
		waitMapping(g, name, func(m *drv1.NamespaceMapping) bool { return m.Status.Phase == drv1.PhaseSynced })
	}
	during := currentFootprint(g, "leak-")
	t.Logf("with %d mappings: %+v", n, during)
	g.Expect(during.States).To(Equal(before.States + n))
	g.Expect(during.Watchers).To(Equal(before.Watchers + n - n/3))
	g.Expect(during.SourceInformers).To(BeNumerically(">", before.SourceInformers))
	g.Expect(during.MetricSeries).To(BeNumerically(">", before.MetricSeries))

	// Deleted and created again at once, from the other source namespace: a new incarnation, with
	// a watcher of its own (the old one would watch the old namespace).
	again := names[0]
	deleteMapping(g, again)
	create(g, prod, mapping(again, src[1], src[1]+"-again", continuousMapping))
	waitMapping(g, again, func(m *drv1.NamespaceMapping) bool { return m.Status.Phase == drv1.PhaseSynced })
	create(g, prod, configMap(src[1], "after-recreate"))
	g.Eventually(configMapData(dr.Client, src[1]+"-again", "after-recreate")).WithTimeout(timeout).Should(Equal("value-after-recreate"))

	for _, name := range names {
		deleteMapping(g, name)
	}
	g.Eventually(func() footprint { return currentFootprint(g, "leak-") }).WithTimeout(timeout).WithPolling(interval).Should(Equal(before))
	// Copies of Retain mappings stay; those of Delete mappings go.
	g.Expect(absent(dr, gvkConfigMap, fmt.Sprintf("%s-to-%d", src[0], 2), "one")).To(BeFalse())
	g.Expect(absent(dr, gvkConfigMap, fmt.Sprintf("%s-to-%d", src[1], 1), "one")).To(BeTrue())
}
