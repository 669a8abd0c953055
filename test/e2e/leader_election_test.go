package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// leaseName is the controller's leader-election Lease (controller.NewManager).
const leaseName = "dr-syncer.dr-syncer.io"

// TestLeaderElection runs controller processes with --leader-elect against prod and a Continuous
// mapping, whose full resync runs on every new leader as it takes over. Exactly one process leads
// and syncs; the others' sync counters stay absent.
// Both ways a leader can go are covered:
//   - SIGTERM (a rollout, a node drain): the leader stops its controllers and releases the Lease
//     on the way out (LeaderElectionReleaseOnCancel), so the standby takes over within a retry
//     period (2s), well before the 15s lease duration;
//   - SIGKILL (a crash): the Lease stays held until it expires, so the standby waits at least
//     ~13s (15s lease duration minus the 2s renew period) before it takes over.
//
// In both cases the next sync happens on the new leader, and the processes' logs show that the
// new leader's controller workers started only after the old leader's had stopped.
func TestLeaderElection(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	prod := prodClient(t)
	const ns, appNS, name = "e2e-leader", "leader-app", "continuous"
	setUpControllerNamespace(t, g, ns)
	g.Expect(prod.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: appNS}})).To(Succeed())
	g.Expect(prod.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: appNS, Name: "settings"}, Data: map[string]string{"k": "v"}})).To(Succeed())

	mon := &electionMonitor{mapping: ns + "/" + name}
	start := func(id string) *controllerProcess {
		p := startControllerProcess(t, ns, "--leader-elect", "--log-level", "debug")
		mon.add(id, p)
		return p
	}
	start("a")
	start("b")
	for _, p := range mon.all() {
		p.waitReady(t)
	}
	first := mon.waitLeader(t, nil)
	holder1 := leaseHolder(t, g, ns)
	g.Expect(prod.Create(ctx, &drv1.NamespaceMapping{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: drv1.NamespaceMappingSpec{DestinationCluster: "dr", SourceNamespace: appNS,
			ReplicationMode: drv1.ModeContinuous},
	})).To(Succeed())
	monCtx, stopMonitor := context.WithCancel(ctx)
	defer stopMonitor()
	go mon.run(monCtx)
	mon.waitSyncs(t, first, 1)

	// SIGTERM: the Lease is released, the standby takes over within a few seconds.
	second := mon.other(first)
	terminated := time.Now()
	mon.stopped(first)
	mon.proc(first).signal(t, syscall.SIGTERM)
	mon.waitLeader(t, &second)
	takeover := time.Since(terminated)
	t.Logf("SIGTERM: %s took over %s after %s was told to stop", second, takeover.Round(time.Millisecond), first)
	g.Expect(takeover).To(BeNumerically("<", 10*time.Second), "a released Lease is taken over within a retry period, not after the 15s lease duration")
	holder2 := leaseHolder(t, g, ns)
	g.Expect(holder2).NotTo(Equal(holder1))
	mon.waitSyncs(t, second, 1)

	// SIGKILL: a third process joins as the standby; the leader is killed; the Lease must expire.
	third := "c"
	start(third).waitReady(t)
	killed := time.Now()
	mon.stopped(second)
	mon.proc(second).signal(t, syscall.SIGKILL)
	mon.waitLeader(t, &third)
	takeover = time.Since(killed)
	t.Logf("SIGKILL: %s took over %s after %s was killed", third, takeover.Round(time.Millisecond), second)
	g.Expect(takeover).To(BeNumerically(">=", 10*time.Second), "a killed leader's Lease is held until it expires")
	g.Expect(leaseHolder(t, g, ns)).NotTo(Equal(holder2))
	mon.waitSyncs(t, third, 1)
	stopMonitor()
	mon.proc(third).signal(t, syscall.SIGTERM)

	g.Expect(mon.violations()).To(BeEmpty())
	// From the logs: each leader's controller workers ran in a window of its own, and every sync
	// started inside its process's window.
	windows := []window{
		controllerWindow(t, first, mon.proc(first), time.Time{}),
		controllerWindow(t, second, mon.proc(second), killed),
		controllerWindow(t, third, mon.proc(third), time.Time{}),
	}
	for i := 1; i < len(windows); i++ {
		prev, next := windows[i-1], windows[i]
		if !prev.end.Before(next.start) {
			t.Errorf("%s's workers started at %s, before %s's stopped at %s", next.id, next.start.Format(time.StampMilli), prev.id, prev.end.Format(time.StampMilli))
		}
	}
}

// electionMonitor scrapes every running controller process and records when a process that does
// not lead has synced, or when two processes lead at once.
type electionMonitor struct {
	mapping string

	mu    sync.Mutex
	ids   []string
	procs map[string]*controllerProcess
	// out are the processes told to stop: no longer checked.
	out    map[string]bool
	syncs  map[string]float64
	leader map[string]bool
	bad    []string
}

func (m *electionMonitor) add(id string, p *controllerProcess) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.procs == nil {
		m.procs, m.out, m.syncs, m.leader = map[string]*controllerProcess{}, map[string]bool{}, map[string]float64{}, map[string]bool{}
	}
	m.ids = append(m.ids, id)
	m.procs[id] = p
}

func (m *electionMonitor) proc(id string) *controllerProcess {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.procs[id]
}

func (m *electionMonitor) all() []*controllerProcess {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*controllerProcess
	for _, id := range m.ids {
		out = append(out, m.procs[id])
	}
	return out
}

// other returns the one running process that is not id.
func (m *electionMonitor) other(id string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, o := range m.ids {
		if o != id && !m.out[o] {
			return o
		}
	}
	return ""
}

func (m *electionMonitor) stopped(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.out[id] = true
}

func (m *electionMonitor) violations() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.bad
}

// sample scrapes every running process once and checks: at most one leads, and one that does not
// lead has never synced.
func (m *electionMonitor) sample() {
	m.mu.Lock()
	ids := append([]string(nil), m.ids...)
	m.mu.Unlock()
	var leaders []string
	for _, id := range ids {
		m.mu.Lock()
		p, out := m.procs[id], m.out[id]
		m.mu.Unlock()
		if out {
			continue
		}
		fams, err := p.tryScrape()
		if err != nil {
			continue
		}
		leads := value(fams, "leader_election_master_status", labelMap("name", leaseName)) == 1
		syncs := sum(fams, "drsyncer_sync_runs_total", labelMap("mapping", m.mapping))
		m.mu.Lock()
		if m.out[id] { // told to stop while being scraped
			m.mu.Unlock()
			continue
		}
		m.leader[id], m.syncs[id] = leads, syncs
		if leads {
			leaders = append(leaders, id)
		} else if syncs > 0 {
			m.bad = append(m.bad, fmt.Sprintf("%s: %s does not lead but has drsyncer_sync_runs_total %v", time.Now().Format(time.StampMilli), id, syncs))
		}
		m.mu.Unlock()
	}
	if len(leaders) > 1 {
		m.mu.Lock()
		m.bad = append(m.bad, fmt.Sprintf("%s: %v lead at once", time.Now().Format(time.StampMilli), leaders))
		m.mu.Unlock()
	}
}

func (m *electionMonitor) run(ctx context.Context) {
	for {
		m.sample()
		select {
		case <-ctx.Done():
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// waitLeader waits until exactly one running process leads (*want, when given) and returns it.
func (m *electionMonitor) waitLeader(t *testing.T, want *string) string {
	t.Helper()
	var leader string
	NewWithT(t).Eventually(func(g Gomega) {
		m.sample()
		m.mu.Lock()
		defer m.mu.Unlock()
		var leaders []string
		for _, id := range m.ids {
			if !m.out[id] && m.leader[id] {
				leaders = append(leaders, id)
			}
		}
		g.Expect(leaders).To(HaveLen(1))
		if want != nil {
			g.Expect(leaders[0]).To(Equal(*want))
		}
		leader = leaders[0]
	}).WithTimeout(40 * time.Second).WithPolling(100 * time.Millisecond).Should(Succeed())
	return leader
}

// waitSyncs waits until process id has synced the mapping at least n times.
func (m *electionMonitor) waitSyncs(t *testing.T, id string, n float64) {
	t.Helper()
	NewWithT(t).Eventually(func() float64 {
		m.sample()
		m.mu.Lock()
		defer m.mu.Unlock()
		return m.syncs[id]
	}).WithTimeout(30*time.Second).WithPolling(200*time.Millisecond).Should(BeNumerically(">=", n), "syncs by %s", id)
}

func leaseHolder(t *testing.T, g Gomega, ns string) string {
	t.Helper()
	lease := &coordinationv1.Lease{}
	g.Expect(prodClient(t).Get(context.Background(), client.ObjectKey{Namespace: ns, Name: leaseName}, lease)).To(Succeed())
	g.Expect(lease.Spec.HolderIdentity).NotTo(BeNil())
	return *lease.Spec.HolderIdentity
}

// window is when a process's NamespaceMapping workers ran.
type window struct {
	id         string
	start, end time.Time
}

// controllerWindow reads from a process's log when its NamespaceMapping workers started and
// finished (end, when given, for a killed process), and checks that it synced and that every sync
// started in between. Times are when the lines arrived.
func controllerWindow(t *testing.T, id string, p *controllerProcess, end time.Time) window {
	t.Helper()
	w := window{id: id, end: end}
	var syncs []time.Time
	for _, l := range p.out.Lines() {
		if !strings.Contains(l.text, `"controller": "namespacemapping"`) {
			continue
		}
		switch {
		case strings.Contains(l.text, "\tStarting workers\t"):
			w.start = l.at
		case strings.Contains(l.text, "\tAll workers finished\t"):
			w.end = l.at
		case strings.Contains(l.text, "\tsync starting\t"):
			syncs = append(syncs, l.at)
		}
	}
	if w.start.IsZero() || w.end.IsZero() {
		t.Fatalf("%s: no NamespaceMapping worker window in the log (start %v, end %v)", id, w.start, w.end)
	}
	if len(syncs) == 0 {
		t.Errorf("%s: no sync in the log", id)
	}
	for _, s := range syncs {
		if s.Before(w.start) || s.After(w.end) {
			t.Errorf("%s: sync at %s outside its workers' window %s - %s", id, s.Format(time.StampMilli), w.start.Format(time.StampMilli), w.end.Format(time.StampMilli))
		}
	}
	return w
}
