package sync_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/cluster"
	"github.com/dr-syncer/dr-syncer/internal/engine"
	"github.com/dr-syncer/dr-syncer/internal/ops"
	"github.com/dr-syncer/dr-syncer/internal/testbed"
	"github.com/dr-syncer/dr-syncer/internal/transform"
)

// parkingRule is a ParkingRule in the controller's namespace.
func parkingRule(name, group, kind string, mutate func(*drv1.ParkingRuleSpec)) *drv1.ParkingRule {
	pr := &drv1.ParkingRule{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: controllerNS},
		Spec: drv1.ParkingRuleSpec{Group: group, Kind: kind}}
	mutate(&pr.Spec)
	return pr
}

func parked(path, value string) drv1.ParkedField {
	return drv1.ParkedField{Path: path, ParkedValue: apiextensionsv1.JSON{Raw: []byte(value)}}
}

// ruleReady waits for the Ready condition of a ParkingRule to have status and returns it.
func ruleReady(g Gomega, name string, status metav1.ConditionStatus) *metav1.Condition {
	var c *metav1.Condition
	g.Eventually(func(g Gomega) {
		pr := &drv1.ParkingRule{}
		g.Expect(prod.Client.Get(context.Background(), client.ObjectKey{Namespace: controllerNS, Name: name}, pr)).To(Succeed())
		c = meta.FindStatusCondition(pr.Status.Conditions, drv1.ConditionReady)
		g.Expect(c).NotTo(BeNil())
		g.Expect(c.Status).To(Equal(status))
		g.Expect(c.ObservedGeneration).To(Equal(pr.Generation))
	}, time.Minute, 200*time.Millisecond).Should(Succeed())
	return c
}

// TestParkingRules: a ParkingRule parks a kind dr-syncer does not know by fields and
// annotations, and replaces the built-in parking of a kind it knows; each DR copy records what
// was changed, so that cutover (with the rules deleted) activates it and parks the source the
// same way, and failback re-parks DR and restores the source. A second rule for one kind is not
// Ready and names the first.
func TestParkingRules(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	crd := crdOf("kafka.example.com", "v1", "KafkaCluster", "kafkaclusters")
	installCRD(t, g, prod, crd)
	t.Cleanup(func() { removeCRD(t, dr, crd.Name) })
	gvkKafka := schema.GroupVersionKind{Group: "kafka.example.com", Version: "v1", Kind: "KafkaCluster"}

	kafka := parkingRule("kafka", "kafka.example.com", "KafkaCluster", func(s *drv1.ParkingRuleSpec) {
		s.Fields = []drv1.ParkedField{parked("/spec/paused", "true"), parked("/spec/brokers/replicas", "0")}
		s.Annotations = map[string]string{"kafka.example.com/reconcile": "off"}
	})
	deploy := parkingRule("deploy", "apps", "Deployment", func(s *drv1.ParkingRuleSpec) {
		s.Fields = []drv1.ParkedField{parked("/spec/paused", "true")}
	})
	create(g, prod, kafka, deploy)
	t.Cleanup(func() {
		for _, pr := range []*drv1.ParkingRule{kafka, deploy} {
			_ = prod.Client.Delete(ctx, pr)
		}
	})
	c := ruleReady(g, "kafka", metav1.ConditionTrue)
	g.Expect(c.Reason).To(Equal(drv1.ReasonRuleInForce))
	g.Expect(c.Message).To(ContainSubstring("/spec/paused=true"))
	ruleReady(g, "deploy", metav1.ConditionTrue)

	dup := parkingRule("kafka-again", "kafka.example.com", "KafkaCluster", func(s *drv1.ParkingRuleSpec) {
		s.Annotations = map[string]string{"x": "y"}
	})
	create(g, prod, dup)
	c = ruleReady(g, "kafka-again", metav1.ConditionFalse)
	g.Expect(c.Reason).To(Equal(drv1.ReasonDuplicateRule))
	g.Expect(c.Message).To(ContainSubstring("ParkingRule kafka already parks KafkaCluster.kafka.example.com"))

	ns := newNamespace(t, g, "rules")
	k := widget(gvkKafka, ns, "events")
	k.Object["spec"] = map[string]any{"paused": false, "brokers": map[string]any{"replicas": int64(3)}}
	k.SetAnnotations(map[string]string{"kafka.example.com/reconcile": "on"})
	create(g, prod, k, deployment(ns, "web", 3))

	create(g, prod, mapping("rules", ns, ns, func(m *drv1.NamespaceMapping) {
		m.Spec.ResourceTypes = []string{crd.Name, "deployments"}
		m.Spec.SyncCRDs = true
	}))
	t.Cleanup(func() { deleteMapping(NewWithT(t), "rules") })
	m := triggerSync(t, g, "rules")
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced), failedNames(m))
	dr.Invalidate()

	type kstate struct {
		Paused, Replicas any
		Reconcile        string
	}
	kafkaState := func(h *cluster.Handle) kstate {
		u := get(g, h, gvkKafka, ns, "events")
		return kstate{nested(g, u, "spec", "paused"), nested(g, u, "spec", "brokers", "replicas"), u.GetAnnotations()["kafka.example.com/reconcile"]}
	}
	deployState := func(h *cluster.Handle) (paused any, replicas any) {
		u := get(g, h, gvkDeployment, ns, "web")
		p, _, _ := unstructured.NestedFieldNoCopy(u.Object, "spec", "paused")
		return p, nested(g, u, "spec", "replicas")
	}
	parkedK, liveK := kstate{true, int64(0), "off"}, kstate{false, int64(3), "on"}
	g.Expect(kafkaState(dr)).To(Equal(parkedK))
	var records []map[string]any
	g.Expect(json.Unmarshal([]byte(get(g, dr, gvkKafka, ns, "events").GetAnnotations()[drv1.AnnotationOriginalFields]), &records)).To(Succeed())
	g.Expect(records).To(ContainElement(map[string]any{"path": "/spec/paused", "parked": true, "original": false}))
	paused, replicas := deployState(dr)
	g.Expect(paused).To(Equal(true), "the rule replaces the built-in parking of Deployments")
	g.Expect(replicas).To(BeEquivalentTo(3))
	g.Expect(get(g, dr, gvkDeployment, ns, "web").GetAnnotations()).NotTo(HaveKey(drv1.AnnotationOriginalReplicas))

	// The copies describe themselves: cutover and failback need no rule.
	for _, pr := range []*drv1.ParkingRule{kafka, deploy, dup} {
		g.Expect(prod.Client.Delete(ctx, pr)).To(Succeed())
	}
	// Production down: DR comes live from the records alone; the source is left as it was.
	s := opsScope(ns, ns, "rules")
	s.Source = downSource(t, g)
	cutover(g, s)
	g.Expect(kafkaState(dr)).To(Equal(liveK))
	// Production back: cutover again parks the source the way its copy was, and changes
	// nothing in DR.
	s.Source = prod
	cutover(g, s)
	g.Expect(kafkaState(dr)).To(Equal(liveK))
	g.Expect(kafkaState(prod)).To(Equal(parkedK), "the source is parked the way its copy was")
	paused, _ = deployState(dr)
	g.Expect(paused).To(BeNil())
	paused, _ = deployState(prod)
	g.Expect(paused).To(Equal(true))

	failback(g, s)
	g.Expect(kafkaState(dr)).To(Equal(parkedK))
	g.Expect(kafkaState(prod)).To(Equal(liveK))
	g.Expect(get(g, prod, gvkKafka, ns, "events").GetAnnotations()).NotTo(HaveKey(drv1.AnnotationOriginalFields))
	paused, _ = deployState(dr)
	g.Expect(paused).To(Equal(true))
	paused, _ = deployState(prod)
	g.Expect(paused).To(BeNil())

	// Cutover, a change in DR, then failback --reverse-sync with the mapping's rules (as the
	// CLI's --mapping form reads them): the source comes home parked by the rule, then runs
	// with DR's values.
	cutover(g, s)
	live := get(g, dr, gvkKafka, ns, "events")
	g.Expect(unstructured.SetNestedField(live.Object, int64(5), "spec", "brokers", "replicas")).To(Succeed())
	g.Expect(dr.Client.Update(ctx, live)).To(Succeed())
	rules, err := transform.RuleFromSpec("x/kafka", &kafka.Spec)
	g.Expect(err).NotTo(HaveOccurred())
	s.Sync = engine.Request{ResourceTypes: []string{crd.Name}, Transform: transform.Options{MappingID: engine.MappingID(controllerNS, "rules"),
		Rules: map[schema.GroupKind]*transform.Rule{gvkKafka.GroupKind(): rules}}}
	var out strings.Builder
	_, err = ops.Failback(ctx, s, ops.Options{ReverseSync: true, SourceTimeout: 5 * time.Second, Out: &out})
	g.Expect(err).NotTo(HaveOccurred())
	// The restore step brought it up from the rule's parking (it arrived parked).
	g.Expect(out.String()).To(ContainSubstring(`KafkaCluster events: {/metadata/annotations/kafka.example.com~1reconcile="off", /spec/brokers/replicas=0, /spec/paused=true} → unparked`))
	g.Expect(kafkaState(prod)).To(Equal(kstate{false, int64(5), "on"}))
	g.Expect(get(g, prod, gvkKafka, ns, "events").GetAnnotations()).NotTo(HaveKey(drv1.AnnotationOriginalFields))
	g.Expect(kafkaState(dr)).To(Equal(kstate{true, int64(0), "off"}))
}

// TestParkingRuleValidation: the API server refuses rules that cannot work, saying why.
func TestParkingRuleValidation(t *testing.T) {
	g := NewWithT(t)
	cases := []struct {
		name   string
		mutate func(*drv1.ParkingRuleSpec)
		want   string
	}{
		{"nothing", func(*drv1.ParkingRuleSpec) {}, "set at least one"},
		{"stash and fields", func(s *drv1.ParkingRuleSpec) {
			s.Stash = true
			s.Fields = []drv1.ParkedField{parked("/spec/a", "1")}
		}, "excludes fields and annotations"},
		{"not a pointer", func(s *drv1.ParkingRuleSpec) { s.Fields = []drv1.ParkedField{parked("spec/a", "1")} }, "must be a JSON pointer"},
		{"list index", func(s *drv1.ParkingRuleSpec) { s.Fields = []drv1.ParkedField{parked("/spec/items/0", "1")} }, "may not index into a list"},
		{"metadata", func(s *drv1.ParkingRuleSpec) { s.Fields = []drv1.ParkedField{parked("/metadata/labels", "{}")} }, "not metadata"},
		{"own annotation", func(s *drv1.ParkingRuleSpec) { s.Annotations = map[string]string{"dr-syncer.io/x": "1"} }, "dr-syncer's own"},
	}
	for i, tc := range cases {
		pr := parkingRule("invalid-"+strings.ReplaceAll(tc.name, " ", "-"), "example.com", "Thing", tc.mutate)
		err := prod.Client.Create(context.Background(), pr)
		g.Expect(err).To(HaveOccurred(), "case %d %s", i, tc.name)
		g.Expect(err.Error()).To(ContainSubstring(tc.want), "case %s", tc.name)
	}
}

// TestStashRule: a stashed kind has no object in the DR namespace while it is a standby; each
// object is held in a Secret of type dr-syncer.io/stash, counted as stashed in the status and
// shown so by a plan. Cutover (with the rule gone) creates the objects from the Secrets;
// failback stashes the live objects again, with their DR content, and removes them.
func TestStashRule(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	crd := crdOf("stash.example.com", "v1", "Broker", "brokers")
	installCRD(t, g, prod, crd)
	t.Cleanup(func() { removeCRD(t, dr, crd.Name) })
	gvk := schema.GroupVersionKind{Group: "stash.example.com", Version: "v1", Kind: "Broker"}
	rule := parkingRule("brokers", "stash.example.com", "Broker", func(s *drv1.ParkingRuleSpec) { s.Stash = true })
	// A kind dr-syncer parks by itself can be stashed instead.
	deployRule := parkingRule("stash-deployments", "apps", "Deployment", func(s *drv1.ParkingRuleSpec) { s.Stash = true })
	create(g, prod, rule, deployRule)
	t.Cleanup(func() {
		_ = prod.Client.Delete(ctx, rule)
		_ = prod.Client.Delete(ctx, deployRule)
	})
	g.Expect(ruleReady(g, "brokers", metav1.ConditionTrue).Message).To(ContainSubstring("stashes Broker.stash.example.com"))
	ruleReady(g, "stash-deployments", metav1.ConditionTrue)

	ns := newNamespace(t, g, "stash")
	b := widget(gvk, ns, "events")
	b.Object["spec"] = map[string]any{"partitions": int64(12)}
	create(g, prod, b, deployment(ns, "web", 2))
	create(g, prod, mapping("stash", ns, ns, func(m *drv1.NamespaceMapping) {
		m.Spec.ResourceTypes = []string{crd.Name, "deployments"}
		m.Spec.SyncCRDs = true
	}))
	t.Cleanup(func() { deleteMapping(NewWithT(t), "stash") })
	m := triggerSync(t, g, "stash")
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced), failedNames(m))
	g.Expect(m.Status.LastSyncStats.Stashed).To(BeEquivalentTo(2))
	dr.Invalidate()
	g.Expect(absent(dr, gvk, ns, "events")).To(BeTrue(), "a stashed kind is not created in the DR namespace")
	g.Expect(absent(dr, gvkDeployment, ns, "web")).To(BeTrue())

	secretName := transform.StashName(gvk.GroupKind(), "events")
	stash := &corev1.Secret{}
	g.Expect(dr.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: secretName}, stash)).To(Succeed())
	g.Expect(string(stash.Type)).To(Equal(transform.StashSecretType))
	g.Expect(stash.Labels).To(HaveKeyWithValue(drv1.LabelMapping, engine.MappingID(controllerNS, "stash")))
	g.Expect(stash.Annotations).To(HaveKeyWithValue(drv1.AnnotationStashed, "Broker.stash.example.com/events"))
	held := map[string]any{}
	g.Expect(json.Unmarshal(stash.Data[transform.StashDataKey], &held)).To(Succeed())
	g.Expect(held["spec"]).To(Equal(map[string]any{"partitions": float64(12)}))

	// A plan shows it as stashed, and a second sync changes nothing.
	s := opsScope(ns, ns, "stash")
	s.Sync = engine.Request{Source: prod, Dest: dr, ResourceTypes: []string{crd.Name}, Transform: transform.Options{
		SourceNamespace: ns, DestNamespace: ns, MappingID: engine.MappingID(controllerNS, "stash"),
		Rules: map[schema.GroupKind]*transform.Rule{gvk.GroupKind(): {Name: "x", Stash: true}}}, DryRun: true}
	res, err := engine.Sync(ctx, s.Sync)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.Stats.Stashed).To(BeEquivalentTo(1))
	g.Expect(res.Stats.Created + res.Stats.Updated).To(BeZero())
	var parkedAs []string
	for _, a := range res.Actions {
		parkedAs = append(parkedAs, a.Parked)
	}
	g.Expect(parkedAs).To(ContainElement(HavePrefix("stashed: Broker.stash.example.com/events")))

	// The stash needs no rule and no source: cutover creates the object from it with the
	// ParkingRule gone and production down.
	g.Expect(prod.Client.Delete(ctx, rule)).To(Succeed())
	g.Expect(prod.Client.Delete(ctx, deployRule)).To(Succeed())
	s.Sync = engine.Request{}
	s.Source = downSource(t, g)
	rep := cutover(g, s)
	expectReplicas(g, dr, gvkDeployment, ns, "web", 2, "")
	g.Expect(rep.Warnings).To(ContainElement(ContainSubstring("source is unreachable")))
	live := get(g, dr, gvk, ns, "events")
	g.Expect(nested(g, live, "spec", "partitions")).To(BeEquivalentTo(12))
	g.Expect(engine.Owns(live, engine.MappingID(controllerNS, "stash"))).To(BeTrue())
	g.Expect(rep.Warnings).To(ContainElement(ContainSubstring("2 stashed objects created in DR")))
	cutover(g, s) // again: nothing to create
	s.Source = prod

	// Changed while live; failback stashes what DR ran and removes it.
	g.Expect(unstructured.SetNestedField(live.Object, int64(24), "spec", "partitions")).To(Succeed())
	g.Expect(dr.Client.Update(ctx, live)).To(Succeed())
	failback(g, s)
	g.Expect(absent(dr, gvk, ns, "events")).To(BeTrue(), "failback removes the live stashed object")
	g.Eventually(func() bool { return absent(dr, gvkDeployment, ns, "web") }).WithTimeout(30*time.Second).Should(BeTrue(), "a stashed Deployment is removed, not parked")
	g.Expect(dr.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: secretName}, stash)).To(Succeed())
	held = map[string]any{}
	g.Expect(json.Unmarshal(stash.Data[transform.StashDataKey], &held)).To(Succeed())
	g.Expect(held["spec"]).To(Equal(map[string]any{"partitions": float64(24)}))
	g.Expect(held["metadata"]).NotTo(HaveKey("uid"))
}

// downSource is a handle of the source cluster that does not answer: its proxy is stopped.
func downSource(t *testing.T, g Gomega) *cluster.Handle {
	t.Helper()
	u, err := url.Parse(prodTB.Config.Host)
	g.Expect(err).NotTo(HaveOccurred())
	proxy, err := testbed.NewProxy(u.Host)
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(proxy.Close)
	kubeconfig, err := proxy.Kubeconfig(prodTB.Kubeconfig)
	g.Expect(err).NotTo(HaveOccurred())
	cfg, err := clientcmd.RESTConfigFromKubeConfig(kubeconfig)
	g.Expect(err).NotTo(HaveOccurred())
	h, err := cluster.New("prod-down", cfg)
	g.Expect(err).NotTo(HaveOccurred())
	proxy.Stop()
	return h
}

// TestContinuousStash: in Continuous mode, a source object of a stashed kind is stashed as it
// is created and changed, and its stash removed when it is deleted; the kind never appears in
// the DR namespace.
func TestContinuousStash(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	crd := crdOf("cstash.example.com", "v1", "Queue", "queues")
	installCRD(t, g, prod, crd)
	installCRD(t, g, dr, crdOf("cstash.example.com", "v1", "Queue", "queues")) // served in DR before the watcher starts
	gvk := schema.GroupVersionKind{Group: "cstash.example.com", Version: "v1", Kind: "Queue"}
	rule := parkingRule("queues", "cstash.example.com", "Queue", func(s *drv1.ParkingRuleSpec) { s.Stash = true })
	create(g, prod, rule)
	t.Cleanup(func() { _ = prod.Client.Delete(ctx, rule) })
	ruleReady(g, "queues", metav1.ConditionTrue)

	ns := newNamespace(t, g, "cstash")
	create(g, prod, widget(gvk, ns, "a"))
	create(g, prod, mapping("cstash", ns, ns, continuousMapping, func(m *drv1.NamespaceMapping) {
		m.Spec.ResourceTypes = []string{crd.Name}
	}))
	t.Cleanup(func() { deleteMapping(NewWithT(t), "cstash") })
	waitMapping(g, "cstash", func(m *drv1.NamespaceMapping) bool { return m.Status.Phase == drv1.PhaseSynced })

	held := func(name string) func() any {
		return func() any {
			s := &corev1.Secret{}
			if err := dr.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: transform.StashName(gvk.GroupKind(), name)}, s); err != nil {
				return err.Error()
			}
			obj := map[string]any{}
			if err := json.Unmarshal(s.Data[transform.StashDataKey], &obj); err != nil {
				return err.Error()
			}
			return obj["spec"]
		}
	}
	g.Eventually(held("a")).WithTimeout(30 * time.Second).Should(Equal(map[string]any{"size": float64(3)}))

	b := widget(gvk, ns, "b")
	create(g, prod, b)
	g.Eventually(held("b")).WithTimeout(30 * time.Second).Should(Equal(map[string]any{"size": float64(3)}))
	live := get(g, prod, gvk, ns, "b")
	g.Expect(unstructured.SetNestedField(live.Object, int64(5), "spec", "size")).To(Succeed())
	g.Expect(prod.Client.Update(ctx, live)).To(Succeed())
	g.Eventually(held("b")).WithTimeout(30 * time.Second).Should(Equal(map[string]any{"size": float64(5)}))
	g.Expect(prod.Client.Delete(ctx, live)).To(Succeed())
	g.Eventually(held("b")).WithTimeout(30 * time.Second).Should(ContainSubstring("not found"))
	g.Expect(absent(dr, gvk, ns, "a")).To(BeTrue())
	g.Expect(absent(dr, gvk, ns, "b")).To(BeTrue())
}

// TestStashingAKindPrunesItsCopies: when a kind becomes stashed, its copies in the DR namespace
// are pruned by the next sync and the objects wait in their stash instead.
func TestStashingAKindPrunesItsCopies(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, g, "restash")
	create(g, prod, configMap(ns, "settings"))
	create(g, prod, mapping("restash", ns, ns, func(m *drv1.NamespaceMapping) { m.Spec.ResourceTypes = []string{"configmaps"} }))
	t.Cleanup(func() { deleteMapping(NewWithT(t), "restash") })
	m := triggerSync(t, g, "restash")
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced), failedNames(m))
	g.Expect(absent(dr, gvkConfigMap, ns, "settings")).To(BeFalse())

	rule := parkingRule("stash-configmaps", "", "ConfigMap", func(s *drv1.ParkingRuleSpec) { s.Stash = true })
	create(g, prod, rule)
	t.Cleanup(func() { _ = prod.Client.Delete(ctx, rule) })
	ruleReady(g, "stash-configmaps", metav1.ConditionTrue)
	m = triggerSync(t, g, "restash")
	g.Expect(m.Status.Phase).To(Equal(drv1.PhaseSynced), failedNames(m))
	g.Expect(m.Status.LastSyncStats.Deleted).To(BeEquivalentTo(1))
	g.Expect(m.Status.LastSyncStats.Stashed).To(BeEquivalentTo(1))
	g.Expect(absent(dr, gvkConfigMap, ns, "settings")).To(BeTrue(), "the copy of a stashed kind is pruned")
	stash := &corev1.Secret{}
	g.Expect(dr.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: transform.StashName(schema.GroupKind{Kind: "ConfigMap"}, "settings")}, stash)).To(Succeed())
	g.Expect(stash.Annotations).To(HaveKeyWithValue(drv1.AnnotationStashed, "ConfigMap/settings"))
}
