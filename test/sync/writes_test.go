package sync_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/cluster"
	"github.com/dr-syncer/dr-syncer/internal/controller/namespacemapping"
	"github.com/dr-syncer/dr-syncer/internal/engine"
)

// requestCounter counts the requests a client sends, split into persisted writes and the rest.
type requestCounter struct {
	mu             sync.Mutex
	writes, dryRun int
	reads          int
	writeLog       []string
}

func (c *requestCounter) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		c.mu.Lock()
		switch {
		case req.Method == http.MethodGet:
			c.reads++
		case strings.Contains(req.URL.RawQuery, "dryRun=All"):
			c.dryRun++
		default:
			c.writes++
			c.writeLog = append(c.writeLog, req.Method+" "+req.URL.Path)
		}
		c.mu.Unlock()
		return rt.RoundTrip(req)
	})
}

func (c *requestCounter) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes, c.dryRun, c.reads, c.writeLog = 0, 0, 0, nil
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// countedDR is a handle on the DR control plane whose requests are counted.
func countedDR(g Gomega) (*cluster.Handle, *requestCounter) {
	counter := &requestCounter{}
	cfg := rest.CopyConfig(drTB.Config)
	cfg.WrapTransport = counter.wrap
	h, err := cluster.New("dr", cfg)
	g.Expect(err).NotTo(HaveOccurred())
	return h, counter
}

// TestNoOpResyncWritesNothing proves that a resync where nothing changed sends zero write
// requests, in the same process (applied cache) and after a restart (dry-run confirmation), and
// that hand edits of owned fields in DR are found and reverted (behaviour 5).
func TestNoOpResyncWritesNothing(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, g, "noop")
	create(g, prod, fullApp(ns)...)
	for i := range 20 {
		create(g, prod, configMap(ns, "bulk-"+string(rune('a'+i))))
	}
	drH, counter := countedDR(g)
	m := mapping("noop", ns, ns)
	m.Namespace, m.UID = controllerNS, "test-uid"
	req, err := namespacemapping.EngineRequest(m, prod, drH, 8)
	g.Expect(err).NotTo(HaveOccurred())
	req.Applied = engine.NewAppliedCache()
	req.ConflictPolicy, req.ImmutableFieldPolicy = drv1.ConflictSkip, drv1.ImmutableSkip

	first, err := engine.Sync(ctx, req)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(first.Stats.Failed).To(BeZero(), "%+v", first.Failed)
	g.Expect(first.Stats.Created).To(BeNumerically(">=", 34))

	counter.reset()
	second, err := engine.Sync(ctx, req)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(counter.writes).To(BeZero(), "writes on a no-op resync: %v", counter.writeLog)
	g.Expect(counter.dryRun).To(BeZero(), "the applied cache makes dry runs unnecessary")
	g.Expect(second.Stats.Unchanged).To(Equal(first.Stats.Created))
	g.Expect(second.Stats.Created + second.Stats.Updated + second.Stats.Deleted).To(BeZero())

	// A new process (empty applied cache) confirms from dr-syncer's field set and the values on
	// the live objects: no write, no dry run.
	restarted := req
	restarted.Applied = engine.NewAppliedCache()
	counter.reset()
	third, err := engine.Sync(ctx, restarted)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(counter.writes).To(BeZero(), "writes after a restart: %v", counter.writeLog)
	g.Expect(counter.dryRun).To(BeZero(), "dry runs after a restart")
	g.Expect(third.Stats.Unchanged).To(Equal(first.Stats.Created))

	// Hand edits in DR of fields dr-syncer owns: scale the Deployment, edit a ConfigMap.
	dep := &appsv1.Deployment{}
	g.Expect(dr.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, dep)).To(Succeed())
	dep.Spec.Replicas = ptrInt32(4)
	g.Expect(dr.Client.Update(ctx, dep, client.FieldOwner("kubectl-edit"))).To(Succeed())
	cm := &corev1.ConfigMap{}
	g.Expect(dr.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "settings"}, cm)).To(Succeed())
	cm.Data["key"] = "edited-by-hand"
	g.Expect(dr.Client.Update(ctx, cm, client.FieldOwner("kubectl-edit"))).To(Succeed())

	// The controller's own cache finds the edits; a process started after the revert finds none.
	afterRevert := req
	afterRevert.Applied = engine.NewAppliedCache()
	for _, r := range []engine.Request{req, afterRevert} {
		counter.reset()
		res, err := engine.Sync(ctx, r)
		g.Expect(err).NotTo(HaveOccurred())
		if r.Applied == req.Applied {
			g.Expect(res.DriftCorrections).To(Equal(2))
			g.Expect(res.Stats.Updated).To(Equal(int32(2)))
			// Objects dr-syncer created get their field ownership converted to its apply
			// manager on their first apply: one extra patch, once per object.
			g.Expect(counter.writes).To(Equal(4), "%v", counter.writeLog)
		} else {
			g.Expect(res.DriftCorrections).To(BeZero(), "already reverted by the first run")
			g.Expect(counter.writes).To(BeZero(), "%v", counter.writeLog)
		}
	}
	g.Expect(dr.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, dep)).To(Succeed())
	g.Expect(*dep.Spec.Replicas).To(BeEquivalentTo(0))
	g.Expect(dr.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "settings"}, cm)).To(Succeed())
	g.Expect(cm.Data["key"]).To(Equal("value-settings"))

	// A second hand edit costs exactly one write: the ownership was converted once.
	cm.Data["key"] = "edited-again"
	g.Expect(dr.Client.Update(ctx, cm, client.FieldOwner("kubectl-edit"))).To(Succeed())
	counter.reset()
	res, err := engine.Sync(ctx, req)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.DriftCorrections).To(Equal(1))
	g.Expect(counter.writes).To(Equal(1), "%v", counter.writeLog)
	g.Expect(dr.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "settings"}, cm)).To(Succeed())
	g.Expect(cm.Data["key"]).To(Equal("value-settings"))
}

// TestRemovedFieldIsRemoved: a field dropped in the source disappears from the DR copy, also for
// a copy dr-syncer created (whose ownership starts as an Update entry).
func TestRemovedFieldIsRemoved(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, g, "drop")
	src := configMap(ns, "cfg")
	src.Labels = map[string]string{"tier": "gold"}
	src.Data["extra"] = "x"
	create(g, prod, src)
	create(g, prod, mapping("drop", ns, ns))
	triggerSync(t, g, "drop")
	g.Expect(configMapData(dr.Client, ns, "cfg")()).To(Equal("value-cfg"))

	g.Expect(prod.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "cfg"}, src)).To(Succeed())
	delete(src.Data, "extra")
	delete(src.Labels, "tier")
	g.Expect(prod.Client.Update(ctx, src)).To(Succeed())
	m := triggerSync(t, g, "drop")
	g.Expect(m.Status.LastSyncStats.Updated).To(BeEquivalentTo(1))
	cm := &corev1.ConfigMap{}
	g.Expect(dr.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "cfg"}, cm)).To(Succeed())
	g.Expect(cm.Data).NotTo(HaveKey("extra"))
	g.Expect(cm.Labels).NotTo(HaveKey("tier"))
	g.Expect(cm.Labels).To(HaveKey(drv1.LabelMapping))
}

func ptrInt32(v int32) *int32 { return &v }
