package sync_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/engine"
	"github.com/dr-syncer/dr-syncer/internal/ops"
	"github.com/dr-syncer/dr-syncer/internal/transform"
)

// TestGateProperty drives the engine and the DR operations with random sequences of source
// changes, DR hand edits, mapping changes, syncs of two mappings into one DR namespace,
// cutover, failback and mapping deletion, on real API servers, and checks after every step:
//   - no object the gate says is not mapping A's (hand-made, an operator's, mapping B's) is
//     modified or deleted by anything but the test itself or its owner;
//   - nothing is written into the DR namespace while it is live, except by cutover/failback;
//   - no Deployment runs on both sides.
//
// DRSYNCER_PROPERTY_SEEDS raises the number of sequences (default 5, 60 steps each).
func TestGateProperty(t *testing.T) {
	seeds := 5
	if v, err := strconv.Atoi(os.Getenv("DRSYNCER_PROPERTY_SEEDS")); err == nil && v > 0 {
		seeds = v
	}
	for seed := range seeds {
		t.Run(fmt.Sprintf("seed-%d", seed), func(t *testing.T) { runGateProperty(t, uint64(seed)) })
	}
}

type propWorld struct {
	g          Gomega
	rng        *rand.Rand
	srcA, srcB string
	dest       string
	reqA, reqB engine.Request
	// protected maps a DR ConfigMap name to its resourceVersion: objects the test made in DR that
	// no mapping may touch; bOwned the same for mapping B's copies, which only B's syncs change.
	protected, bOwned map[string]string
	steps             []string
}

func runGateProperty(t *testing.T, seed uint64) {
	g := NewWithT(t)
	ctx := context.Background()
	w := &propWorld{g: g, rng: rand.New(rand.NewPCG(seed, 42)), protected: map[string]string{}, bOwned: map[string]string{}}
	w.srcA = newNamespace(t, g, "prop-a")
	w.srcB = newNamespace(t, g, "prop-b")
	w.dest = fmt.Sprintf("prop-dr-%d", nsCounter.Add(1))
	mk := func(src, id string) engine.Request {
		return engine.Request{
			Source: prod, Dest: dr, ResourceTypes: []string{"configmaps", "deployments"},
			Transform:       transform.Options{SourceCluster: "prod", SourceNamespace: src, DestNamespace: w.dest, MappingID: id, ScaleToZero: true},
			CreateNamespace: true, Prune: true, MaxDeletePercent: 50, ConflictPolicy: drv1.ConflictSkip,
			Guard: engine.NewDeleteGuard(),
		}
	}
	w.reqA, w.reqB = mk(w.srcA, "prop.a-"+w.dest), mk(w.srcB, "prop.b-"+w.dest)
	for i := range 4 {
		create(g, prod, configMap(w.srcA, fmt.Sprintf("cm-%d", i), "sync", "yes"), configMap(w.srcB, fmt.Sprintf("cm-%d", i+2), "sync", "yes"))
	}
	create(g, prod, deployment(w.srcA, "web", 2), deployment(w.srcB, "api", 1))
	_, err := engine.Sync(ctx, w.reqA)
	g.Expect(err).NotTo(HaveOccurred())

	for step := range 60 {
		live := w.isLive()
		before := w.destVersions()
		op := w.rng.IntN(11)
		name := w.apply(ctx, op, live)
		w.steps = append(w.steps, name)
		desc := fmt.Sprintf("seed %d step %d (%v)", seed, step, w.steps)
		// Nothing but cutover/failback (and the test's own hand edits) writes a live namespace.
		if live && op != 7 && op != 8 && op != 3 && op != 2 {
			g.Expect(w.destVersions()).To(Equal(before), "write into the live namespace: %s", desc)
		}
		w.checkProtected(desc)
		w.checkNotBothSides(desc)
	}
}

// apply runs one random operation and names it.
func (w *propWorld) apply(ctx context.Context, op int, live bool) string {
	g := w.g
	i := w.rng.IntN(6)
	switch op {
	case 0, 1: // source change in A or B
		src := w.srcA
		if op == 1 {
			src = w.srcB
		}
		name := fmt.Sprintf("cm-%d", i)
		cm := &corev1.ConfigMap{}
		err := prod.Client.Get(ctx, client.ObjectKey{Namespace: src, Name: name}, cm)
		switch {
		case apierrors.IsNotFound(err):
			create(g, prod, configMap(src, name, "sync", "yes"))
			return "create " + src + "/" + name
		case w.rng.IntN(3) == 0:
			g.Expect(prod.Client.Delete(ctx, cm)).To(Succeed())
			return "delete " + src + "/" + name
		case w.rng.IntN(2) == 0:
			cm.Labels["sync"] = map[string]string{"yes": "no", "no": "yes"}[cm.Labels["sync"]]
			g.Expect(prod.Client.Update(ctx, cm)).To(Succeed())
			return "relabel " + src + "/" + name
		default:
			cm.Data["key"] = fmt.Sprintf("v%d", w.rng.IntN(1000))
			g.Expect(prod.Client.Update(ctx, cm)).To(Succeed())
			return "edit " + src + "/" + name
		}
	case 2: // a foreign object appears in DR under a name a source may use
		return w.createForeign(ctx, i)
	case 3: // hand edit of one of A's copies
		cm := &corev1.ConfigMap{}
		if err := dr.Client.Get(ctx, client.ObjectKey{Namespace: w.dest, Name: fmt.Sprintf("cm-%d", i)}, cm); err != nil || !engine.Owns(cm, w.reqA.Transform.MappingID) {
			return "hand edit (none)"
		}
		cm.Data = map[string]string{"key": "hand"}
		g.Expect(dr.Client.Update(ctx, cm, client.FieldOwner("kubectl-edit"))).To(Succeed())
		return "hand edit " + cm.Name
	case 4: // mapping change
		switch w.rng.IntN(3) {
		case 0:
			w.reqA.ConflictPolicy = map[drv1.ConflictPolicy]drv1.ConflictPolicy{drv1.ConflictSkip: drv1.ConflictAdopt, drv1.ConflictAdopt: drv1.ConflictSkip}[w.reqA.ConflictPolicy]
			return "A conflictPolicy " + string(w.reqA.ConflictPolicy)
		case 1:
			if w.reqA.Selector == nil {
				w.reqA.Selector = labels.SelectorFromSet(labels.Set{"sync": "yes"})
				return "A selector sync=yes"
			}
			w.reqA.Selector = nil
			return "A selector none"
		default:
			w.reqA.Prune = !w.reqA.Prune
			return fmt.Sprintf("A prune %v", w.reqA.Prune)
		}
	case 5, 6: // sync A or B
		req := w.reqA
		if op == 6 {
			req = w.reqB
		}
		_, err := engine.Sync(ctx, req)
		if live {
			g.Expect(engine.IsDestinationLive(err)).To(BeTrue(), "sync into a live namespace: %v", err)
		} else {
			g.Expect(err).NotTo(HaveOccurred())
		}
		if op == 6 && !live {
			w.refreshB()
		}
		return fmt.Sprintf("sync %c", 'A'+rune(op-5))
	case 7, 8: // cutover or failback of A
		s := &ops.Scope{Source: prod, Dest: dr, SourceNamespace: w.srcA, DestNamespace: w.dest, Sync: w.reqA,
			MappingIDs: []string{w.reqA.Transform.MappingID}}
		var err error
		if op == 7 {
			_, err = ops.Cutover(ctx, s, ops.Options{SourceTimeout: 5 * time.Second})
		} else {
			_, err = ops.Failback(ctx, s, ops.Options{SourceTimeout: 5 * time.Second})
		}
		if err != nil && !apierrors.IsNotFound(err) {
			// A namespace never synced has nothing to cut over; anything else is a failure.
			g.Expect(err.Error()).To(ContainSubstring("does not exist"), "op %d", op)
		}
		return map[int]string{7: "cutover A", 8: "failback A"}[op]
	case 9: // scale a source workload (only while prod serves)
		if live {
			return "scale (skipped: DR live)"
		}
		dep := &appsv1.Deployment{}
		if err := prod.Client.Get(ctx, client.ObjectKey{Namespace: w.srcA, Name: "web"}, dep); err != nil {
			return "scale (none)"
		}
		if _, parked := dep.Annotations[drv1.AnnotationOriginalReplicas]; parked {
			return "scale (skipped: parked by cutover)"
		}
		dep.Spec.Replicas = ptr.To(int32(1 + w.rng.IntN(3)))
		g.Expect(prod.Client.Update(ctx, dep)).To(Succeed())
		return "scale web"
	default: // delete mapping A (deletionPolicy: Delete)
		_, err := engine.DeleteManaged(ctx, dr, w.dest, w.reqA.Transform.MappingID)
		if live {
			g.Expect(engine.IsDestinationLiveCleanup(err)).To(BeTrue(), "cleanup of a live namespace: %v", err)
		} else {
			g.Expect(err).NotTo(HaveOccurred())
		}
		return "delete mapping A"
	}
}

// createForeign puts an object A must never touch into DR: an operator's (A's label, no source
// annotation, a controller ownerReference) or one of B's copies made by hand.
func (w *propWorld) createForeign(ctx context.Context, i int) string {
	g := w.g
	name := fmt.Sprintf("cm-%d", i)
	if err := dr.Client.Get(ctx, client.ObjectKey{Namespace: w.dest, Name: name}, &corev1.ConfigMap{}); err == nil || !w.isNamespace() {
		return "foreign (none)"
	}
	owner := &corev1.ConfigMap{}
	if err := dr.Client.Get(ctx, client.ObjectKey{Namespace: w.dest, Name: "operator"}, owner); apierrors.IsNotFound(err) {
		owner = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: w.dest, Name: "operator"}}
		create(g, dr, owner)
		w.protected["operator"] = owner.ResourceVersion
	}
	cm := configMap(w.dest, name, drv1.LabelMapping, w.reqA.Transform.MappingID)
	kind := "operator's"
	if w.rng.IntN(2) == 0 {
		cm.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: "operator", UID: owner.UID, Controller: ptr.To(true)}}
	} else {
		cm.Labels[drv1.LabelMapping] = "someone.else"
		cm.Annotations = map[string]string{drv1.AnnotationSource: "x/y/" + name}
		kind = "another mapping's"
	}
	create(g, dr, cm)
	w.protected[name] = cm.ResourceVersion
	return "foreign " + kind + " " + name
}

func (w *propWorld) isNamespace() bool {
	return dr.Client.Get(context.Background(), client.ObjectKey{Name: w.dest}, &corev1.Namespace{}) == nil
}

func (w *propWorld) isLive() bool {
	ns := &corev1.Namespace{}
	if err := dr.Client.Get(context.Background(), client.ObjectKey{Name: w.dest}, ns); err != nil {
		return false
	}
	return ns.Annotations[drv1.AnnotationLiveSince] != ""
}

// refreshB records the versions of B's copies after B synced: they are B's to change.
func (w *propWorld) refreshB() {
	l := &corev1.ConfigMapList{}
	w.g.Expect(dr.Client.List(context.Background(), l, client.InNamespace(w.dest))).To(Succeed())
	clear(w.bOwned)
	for _, cm := range l.Items {
		if engine.Owns(&cm, w.reqB.Transform.MappingID) {
			w.bOwned[cm.Name] = cm.ResourceVersion
		}
	}
}

// destVersions maps every ConfigMap and Deployment of the DR namespace to its resourceVersion.
func (w *propWorld) destVersions() map[string]string {
	out := map[string]string{}
	cms := &corev1.ConfigMapList{}
	w.g.Expect(dr.Client.List(context.Background(), cms, client.InNamespace(w.dest))).To(Succeed())
	for _, o := range cms.Items {
		out["cm/"+o.Name] = o.ResourceVersion
	}
	deps := &appsv1.DeploymentList{}
	w.g.Expect(dr.Client.List(context.Background(), deps, client.InNamespace(w.dest))).To(Succeed())
	for _, o := range deps.Items {
		out["deploy/"+o.Name] = o.ResourceVersion
	}
	return out
}

func (w *propWorld) checkProtected(desc string) {
	for name, rv := range maps.All(w.protected) {
		w.checkUnchanged(name, rv, desc)
	}
	for name, rv := range maps.All(w.bOwned) {
		w.checkUnchanged(name, rv, desc+" (mapping B's copy)")
	}
}

func (w *propWorld) checkUnchanged(name, rv, desc string) {
	{
		cm := &corev1.ConfigMap{}
		w.g.Expect(dr.Client.Get(context.Background(), client.ObjectKey{Namespace: w.dest, Name: name}, cm)).To(Succeed(), "protected %s deleted: %s", name, desc)
		w.g.Expect(cm.ResourceVersion).To(Equal(rv), "protected %s modified: %s", name, desc)
	}
}

// checkNotBothSides: a DR Deployment with replicas > 0 has its source at 0 (or no source).
func (w *propWorld) checkNotBothSides(desc string) {
	deps := &appsv1.DeploymentList{}
	w.g.Expect(dr.Client.List(context.Background(), deps, client.InNamespace(w.dest))).To(Succeed())
	for _, d := range deps.Items {
		if ptr.Deref(d.Spec.Replicas, 1) == 0 {
			continue
		}
		for _, src := range []string{w.srcA, w.srcB} {
			s := &appsv1.Deployment{}
			if err := prod.Client.Get(context.Background(), client.ObjectKey{Namespace: src, Name: d.Name}, s); err == nil {
				w.g.Expect(ptr.Deref(s.Spec.Replicas, 1)).To(BeZero(), "Deployment %s runs in DR (%d) and in %s (%d): %s",
					d.Name, ptr.Deref(d.Spec.Replicas, 1), src, ptr.Deref(s.Spec.Replicas, 1), desc)
			}
		}
	}
}
