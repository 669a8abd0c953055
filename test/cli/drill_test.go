package cli_test

import (
	"context"
	"encoding/json"
	"testing"

	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// drillDoc is the -o json document of drill.
type drillDoc struct {
	Namespace  string  `json:"namespace"`
	RTOSeconds float64 `json:"rtoSeconds"`
	Ready      bool    `json:"ready"`
	Workloads  []struct {
		Kind    string `json:"kind"`
		Name    string `json:"name"`
		Ready   bool   `json:"ready"`
		Message string `json:"message"`
	} `json:"workloads"`
	Adapted    []string `json:"adapted"`
	Kept       bool     `json:"kept"`
	RecordedOn []string `json:"recordedOn"`
}

// TestDrillTouchesNeitherSideAndRecords: on API servers without controllers (no workload ever
// becomes ready) a drill copies the parked DR namespace into a scratch namespace, activated and
// adapted, reports every workload not ready with kstatus' reason and exits 1; it writes nothing
// in the source or the DR namespace, records status.lastDrill on the mapping (kept by the
// controller's later status patches, exported as metrics), and refuses a scratch namespace that
// is the DR namespace or not its own.
func TestDrillTouchesNeitherSideAndRecords(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(g, prod, "drill")
	create(g, prod, workloads(ns)...)
	create(g, prod,
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "front", Namespace: ns}, Spec: corev1.ServiceSpec{
			Type: corev1.ServiceTypeLoadBalancer, Selector: map[string]string{"app": "x"},
			Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080), NodePort: 30000 + nsCounter.Load()%2000}}}},
		&networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: "shop", Namespace: ns}, Spec: networkingv1.IngressSpec{
			Rules: []networkingv1.IngressRule{{Host: "shop.example.com"}}}},
	)
	mapping(g, ns, ns)
	ref := controllerNS + "/" + ns
	ctl := []string{"--kubeconfig", kubeconfigs["both"], "--context", "prod"}
	r := drSyncer(t, append([]string{"trigger", ref, "--wait", "--timeout", "1m"}, ctl...)...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	// The DR namespace's own labels (admission levels) go to the scratch namespace.
	drNS := &corev1.Namespace{}
	g.Expect(dr.Client.Get(ctx, client.ObjectKey{Name: ns}, drNS)).To(Succeed())
	drNS.Labels["pod-security.kubernetes.io/warn"] = "baseline"
	g.Expect(dr.Client.Update(ctx, drNS)).To(Succeed())
	prodBefore, drBefore := versions(g, prod, ns), versions(g, dr, ns)

	byMapping := []string{"--mapping", ref, "--kubeconfig", kubeconfigs["prod"]}
	r = drSyncer(t, append([]string{"drill", "--timeout", "3s", "--keep", "-o", "json"}, byMapping...)...)
	g.Expect(r.Code).To(Equal(1), "no controllers: nothing comes up\n%s", r)
	var doc drillDoc
	g.Expect(json.Unmarshal([]byte(r.Stdout), &doc)).To(Succeed(), "%s", r)
	g.Expect(doc.Ready).To(BeFalse())
	g.Expect(doc.Kept).To(BeTrue())
	g.Expect(doc.Namespace).To(Equal(ns + "-drill"))
	g.Expect(doc.RTOSeconds).To(BeNumerically(">=", 3))
	ready := map[string]bool{}
	for _, w := range doc.Workloads {
		ready[w.Kind+"/"+w.Name] = w.Ready
		if !w.Ready {
			g.Expect(w.Message).To(ContainSubstring("InProgress"), "%s %s", w.Kind, w.Name)
		}
	}
	g.Expect(ready).To(Equal(map[string]bool{"Deployment/web": false, "StatefulSet/db": false, "DaemonSet/agent": false, "CronJob/nightly": true}))
	g.Expect(doc.Adapted).To(ContainElements(
		"Ingress shop not created: its hosts would be published by the DR cluster's ingress controller",
		"Service front: type LoadBalancer created as ClusterIP (no load balancer, no address of production's)"))
	g.Expect(doc.RecordedOn).To(Equal([]string{ref}))

	// Nothing written on either side.
	g.Expect(versions(g, prod, ns)).To(Equal(prodBefore))
	g.Expect(versions(g, dr, ns)).To(Equal(drBefore))
	// The scratch namespace: labelled, activated copies without the mapping label, no Ingress.
	scratch := &corev1.Namespace{}
	g.Expect(dr.Client.Get(ctx, client.ObjectKey{Name: doc.Namespace}, scratch)).To(Succeed())
	g.Expect(scratch.Labels).To(HaveKeyWithValue(drv1.LabelDrillOf, ns))
	g.Expect(scratch.Labels).To(HaveKeyWithValue("pod-security.kubernetes.io/warn", "baseline"))
	g.Expect(scratch.Labels).To(HaveKeyWithValue(corev1.LabelMetadataName, doc.Namespace))
	g.Expect(stateOf(g, dr, doc.Namespace)).To(Equal(running))
	web := get(g, dr, gvkDeployment, doc.Namespace, "web")
	g.Expect(web.GetLabels()).NotTo(HaveKey(drv1.LabelMapping))
	g.Expect(web.GetLabels()).To(HaveKeyWithValue(drv1.LabelDrillOf, ns))
	svc := &corev1.Service{}
	g.Expect(dr.Client.Get(ctx, client.ObjectKey{Namespace: doc.Namespace, Name: "front"}, svc)).To(Succeed())
	g.Expect(svc.Spec.Type).To(Equal(corev1.ServiceTypeClusterIP))
	g.Expect(missing(dr, &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: "shop", Namespace: doc.Namespace}})).To(BeTrue())

	// Recorded on the mapping; the controller's next status patch keeps it; exported.
	last := getMapping(g, prod, controllerNS, ns).Status.LastDrill
	g.Expect(last).NotTo(BeNil())
	g.Expect(last.Ready).To(BeFalse())
	g.Expect(last.RTOSeconds).To(BeNumerically(">=", 3))
	r = drSyncer(t, append([]string{"trigger", ref, "--wait", "--timeout", "1m"}, ctl...)...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	g.Expect(getMapping(g, prod, controllerNS, ns).Status.LastDrill).To(Equal(last))
	g.Eventually(func() float64 {
		return gaugeValue("drsyncer_namespacemapping_last_drill_rto_seconds", ref)
	}).WithTimeout(timeout).WithPolling(interval).Should(BeNumerically("==", last.RTOSeconds))
	g.Expect(gaugeValue("drsyncer_namespacemapping_last_drill_timestamp_seconds", ref)).To(BeNumerically("==", last.Time.Unix()))
	g.Expect(gaugeValue("drsyncer_namespacemapping_last_drill_ready", ref)).To(BeNumerically("==", 0))

	// Refusals: the DR namespace itself, a namespace that is not a drill namespace of this one.
	r = drSyncer(t, append([]string{"drill", "--drill-namespace", ns}, byMapping...)...)
	g.Expect(r.Code).To(Equal(1))
	g.Expect(r.Err).To(MatchError(ContainSubstring("is the DR namespace itself")))
	other := newNamespace(g, dr, "not-a-drill")
	r = drSyncer(t, append([]string{"drill", "--drill-namespace", other}, byMapping...)...)
	g.Expect(r.Code).To(Equal(1))
	g.Expect(r.Err).To(MatchError(ContainSubstring("exists in cluster dr without label " + drv1.LabelDrillOf + "=" + ns)))
	otherNS := &corev1.Namespace{}
	g.Expect(dr.Client.Get(ctx, client.ObjectKey{Name: other}, otherNS)).To(Succeed())
	g.Expect(otherNS.DeletionTimestamp).To(BeNil())

	// Without --keep, the scratch namespace is deleted (no namespace controller here: it stays
	// Terminating).
	fresh := ns + "-rehearsal"
	r = drSyncer(t, append([]string{"drill", "--drill-namespace", fresh, "--timeout", "1s"}, byMapping...)...)
	g.Expect(r.Code).To(Equal(1), "%s", r)
	g.Expect(r.Stdout).To(ContainSubstring("namespace " + fresh + " deleted"))
	g.Expect(r.Stdout).To(MatchRegexp(`RTO \d+\.\ds: NOT every workload came up \(4 workloads\)`))
	gone := &corev1.Namespace{}
	err := dr.Client.Get(ctx, client.ObjectKey{Name: fresh}, gone)
	g.Expect(err != nil || gone.DeletionTimestamp != nil).To(BeTrue(), "namespace %s neither gone nor terminating", fresh)
}

// gaugeValue reads a gauge of the in-process controller by its mapping label; -1 when absent.
func gaugeValue(name, mapping string) float64 {
	gatherer, ok := ctrlmetrics.Registry.(prometheus.Gatherer)
	if !ok {
		return -1
	}
	families, err := gatherer.Gather()
	if err != nil {
		return -1
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "mapping" && l.GetValue() == mapping {
					return m.GetGauge().GetValue()
				}
			}
		}
	}
	return -1
}

// TestDrillKeepsLastSuccess: a drill in which everything came up is recorded as
// status.lastSuccessfulDrill too; a failed drill after it replaces lastDrill only, so the
// 30-day alert reads the last success (exported as a metric).
func TestDrillKeepsLastSuccess(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(g, prod, "drillok")
	create(g, prod, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "settings", Namespace: ns}, Data: map[string]string{"k": "v"}})
	mapping(g, ns, ns)
	ref := controllerNS + "/" + ns
	ctl := []string{"--kubeconfig", kubeconfigs["both"], "--context", "prod"}
	g.Expect(drSyncer(t, append([]string{"trigger", ref, "--wait", "--timeout", "1m"}, ctl...)...).Code).To(Equal(0))
	byMapping := []string{"--mapping", ref, "--kubeconfig", kubeconfigs["prod"]}

	r := drSyncer(t, append([]string{"drill", "--timeout", "3s", "--keep"}, byMapping...)...)
	g.Expect(r.Code).To(Equal(0), "nothing to wait for: the drill comes up\n%s", r)
	st := getMapping(g, prod, controllerNS, ns).Status
	g.Expect(st.LastDrill).NotTo(BeNil())
	g.Expect(st.LastDrill.Ready).To(BeTrue())
	g.Expect(st.LastSuccessfulDrill).To(Equal(st.LastDrill))
	success := *st.LastSuccessfulDrill

	// A workload that never comes up (no controllers here): the next drill fails.
	create(g, prod, workloads(ns)...)
	g.Expect(drSyncer(t, append([]string{"trigger", ref, "--wait", "--timeout", "1m"}, ctl...)...).Code).To(Equal(0))
	// Another scratch namespace: this API server has no namespace controller, so the first one
	// never finishes terminating.
	r = drSyncer(t, append([]string{"drill", "--timeout", "3s", "--keep", "--drill-namespace", ns + "-drill2"}, byMapping...)...)
	g.Expect(r.Code).To(Equal(1), "%s", r)
	g.Expect(r.Stdout).To(ContainSubstring("recorded on NamespaceMapping"))
	st = getMapping(g, prod, controllerNS, ns).Status
	g.Expect(st.LastDrill.Ready).To(BeFalse())
	g.Expect(st.LastDrill.Time.Before(&success.Time)).To(BeFalse())
	g.Expect(*st.LastSuccessfulDrill).To(Equal(success))
	g.Eventually(func() float64 {
		return gaugeValue("drsyncer_namespacemapping_last_drill_ready", ref)
	}).WithTimeout(timeout).WithPolling(interval).Should(BeNumerically("==", 0))
	g.Expect(gaugeValue("drsyncer_namespacemapping_last_successful_drill_timestamp_seconds", ref)).To(BeNumerically("==", success.Time.Unix()))
}
