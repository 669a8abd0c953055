package sync_test

import (
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/utils/ptr"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// syncRuns reads drsyncer_sync_runs_total of one mapping and result.
func syncRuns(g Gomega, name, result string) float64 {
	return mappingMetric(g, "drsyncer_sync_runs_total", name, "result", result)
}

// TestWholeSyncFailureBacksOff: a sync that cannot run at all (source namespace missing;
// destination namespace missing with createNamespace: false) is retried with exponential
// backoff: at most 8 attempts in the first minute, not a hot loop, and one Event.
func TestWholeSyncFailureBacksOff(t *testing.T) {
	g := NewWithT(t)
	srcMissing := fmt.Sprintf("nosuchns-%d", nsCounter.Add(1))
	ns := newNamespace(t, g, "nodest")
	cases := []struct{ name, reason string }{
		{"backoff-nosrc", drv1.ReasonSourceNamespaceNotFound},
		{"backoff-nodest", drv1.ReasonSyncFailed},
	}
	hourly := func(m *drv1.NamespaceMapping) {
		m.Spec.ReplicationMode = drv1.ModeScheduled
		m.Spec.Schedule = "@every 1h"
	}
	start := time.Now()
	create(g, prod,
		mapping(cases[0].name, srcMissing, srcMissing, hourly),
		mapping(cases[1].name, ns, ns+"-absent", hourly, func(m *drv1.NamespaceMapping) {
			m.Spec.NamespaceConfig.CreateNamespace = ptr.To(false)
		}))
	for _, c := range cases {
		t.Cleanup(func() { deleteMapping(NewWithT(t), c.name) })
	}

	attempts := func(g Gomega) {
		for _, c := range cases {
			n := syncRuns(g, c.name, "error")
			g.Expect(n).To(BeNumerically("<=", 8), "%s: %v failed syncs after %s", c.name, n, time.Since(start))
			ev := mappingEvents(g, c.name, c.reason)
			g.Expect(len(ev)).To(BeNumerically("<=", 8), "%s: %d %s Events after %s", c.name, len(ev), c.reason, time.Since(start))
		}
	}
	g.Consistently(attempts).WithTimeout(time.Minute - time.Since(start)).WithPolling(time.Second).Should(Succeed())

	// The failures were retried (backoff, not give-up) and reported once: the failure repeats
	// unchanged, so its Event is not emitted again.
	for _, c := range cases {
		g.Expect(syncRuns(g, c.name, "error")).To(BeNumerically(">=", 3), c.name)
		g.Expect(mappingEvents(g, c.name, c.reason)).To(HaveLen(1), c.name)
		m := getMapping(g, c.name)
		g.Expect(condition(m, drv1.ConditionReady).Reason).To(Equal(c.reason))
	}
}
