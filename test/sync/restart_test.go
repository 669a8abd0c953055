package sync_test

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/controller/namespacemapping"
	"github.com/dr-syncer/dr-syncer/internal/engine"
)

// TestRestartFindsHandEditsWithoutDryRuns: a process that starts with an empty applied cache
// confirms unchanged objects from dr-syncer's field set and the live values (no write, no dry
// run), still finds and reverts hand edits made while it was down, and removes a field dropped
// from the source.
func TestRestartFindsHandEditsWithoutDryRuns(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, g, "restart")
	create(g, prod, fullApp(ns)...)
	src := configMap(ns, "cfg", "tier", "gold")
	src.Data["extra"] = "x"
	create(g, prod, src)
	drH, counter := countedDR(g)
	m := mapping("restart", ns, ns)
	m.Namespace, m.UID = controllerNS, "restart-uid"
	req, err := namespacemapping.EngineRequest(m, prod, drH, 8)
	g.Expect(err).NotTo(HaveOccurred())
	req.ConflictPolicy, req.ImmutableFieldPolicy = drv1.ConflictSkip, drv1.ImmutableSkip
	// Each sync below is a new process: an empty applied cache.
	restart := func() engine.Request { r := req; r.Applied = engine.NewAppliedCache(); return r }

	first, err := engine.Sync(ctx, restart())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(first.Stats.Failed).To(BeZero(), "%+v", first.Failed)
	synced := first.Stats.Created

	// Hand edits in DR while no controller runs: a ConfigMap value, a port inside a Service's
	// keyed list, a Secret value, a ConfigMap key removed.
	cm := &corev1.ConfigMap{}
	g.Expect(dr.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "settings"}, cm)).To(Succeed())
	cm.Data["key"] = "edited-by-hand"
	g.Expect(dr.Client.Update(ctx, cm, client.FieldOwner("kubectl-edit"))).To(Succeed())
	svc := &corev1.Service{}
	g.Expect(dr.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, svc)).To(Succeed())
	svc.Spec.Ports[0].TargetPort = intstr.FromInt32(9999)
	g.Expect(dr.Client.Update(ctx, svc, client.FieldOwner("kubectl-edit"))).To(Succeed())
	sec := &corev1.Secret{}
	g.Expect(dr.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "db-credentials"}, sec)).To(Succeed())
	sec.Data["password"] = []byte("changed-by-hand")
	g.Expect(dr.Client.Update(ctx, sec, client.FieldOwner("kubectl-edit"))).To(Succeed())
	drop := &corev1.ConfigMap{}
	g.Expect(dr.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "cfg"}, drop)).To(Succeed())
	g.Expect(dr.Client.Patch(ctx, drop, client.RawPatch(types.JSONPatchType, []byte(`[{"op":"remove","path":"/data/extra"}]`)),
		client.FieldOwner("kubectl-edit"))).To(Succeed())

	res, err := engine.Sync(ctx, restart())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.Stats.Updated).To(BeEquivalentTo(4), "%+v", res.Actions)
	g.Expect(res.DriftCorrections).To(Equal(4), "each hand edit is counted as drift")
	g.Expect(dr.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "settings"}, cm)).To(Succeed())
	g.Expect(cm.Data["key"]).To(Equal("value-settings"))
	g.Expect(dr.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, svc)).To(Succeed())
	g.Expect(svc.Spec.Ports[0].TargetPort).To(Equal(intstr.FromInt32(8080)))
	g.Expect(dr.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "db-credentials"}, sec)).To(Succeed())
	g.Expect(string(sec.Data["password"])).To(Equal("s3cr3t-value"))
	g.Expect(dr.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "cfg"}, drop)).To(Succeed())
	g.Expect(drop.Data).To(HaveKeyWithValue("extra", "x"))

	// The next restart finds nothing to do and asks nothing.
	counter.reset()
	res, err = engine.Sync(ctx, restart())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.Stats.Unchanged).To(Equal(synced))
	g.Expect(counter.writes).To(BeZero(), "%v", counter.writeLog)
	g.Expect(counter.dryRun).To(BeZero())

	// A field and a label dropped from the source while no controller runs are dropped in DR.
	g.Expect(prod.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "cfg"}, src)).To(Succeed())
	delete(src.Data, "extra")
	delete(src.Labels, "tier")
	g.Expect(prod.Client.Update(ctx, src)).To(Succeed())
	res, err = engine.Sync(ctx, restart())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.Stats.Updated).To(BeEquivalentTo(1))
	g.Expect(res.DriftCorrections).To(BeZero(), "a source change is no drift")
	g.Expect(dr.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "cfg"}, drop)).To(Succeed())
	g.Expect(drop.Data).NotTo(HaveKey("extra"))
	g.Expect(drop.Labels).NotTo(HaveKey("tier"))

	counter.reset()
	res, err = engine.Sync(ctx, restart())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.Stats.Unchanged).To(Equal(synced))
	g.Expect(counter.writes+counter.dryRun).To(BeZero(), "%v", counter.writeLog)
}
