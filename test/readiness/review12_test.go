package readiness_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dr-syncer/dr-syncer/internal/cli"
	"github.com/dr-syncer/dr-syncer/internal/cluster"
	"github.com/dr-syncer/dr-syncer/internal/ops"
)

// migrate is a Job that has not run in prod (prod has no controllers): its DR copy carries the
// selector the DR API server generated for it.
func migrate(ns string) client.Object {
	return &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "migrate", Namespace: ns}, Spec: batchv1.JobSpec{
		Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever,
			Containers: []corev1.Container{{Name: "c", Image: "registry.example/job:1"}}}}}}
}

// TestDrillCopiesJobs: a drill of a DR namespace holding a Job creates the Job in the scratch
// namespace (the DR API server generated the copy's selector, which a new Job may not carry)
// and the drill comes up (exit 0).
func TestDrillCopiesJobs(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(g, prod, "drilljob")
	create(g, prod, append(shop(ns), migrate(ns))...)
	// Jobs are copied when named (the wildcard leaves them out).
	r := drSyncer(t, append([]string{"sync", "--resource-types", "*,jobs.batch"}, flagForm(ns)...)...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	r = drSyncer(t, append([]string{"drill", "--timeout", upTimeout.String(), "-o", "json"}, flagForm(ns)...)...)
	t.Logf("%s\n%s", r.Stdout, r.Stderr)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	var doc struct {
		drillDoc
		Failed []string `json:"failed"`
	}
	g.Expect(json.Unmarshal([]byte(r.Stdout), &doc)).To(Succeed(), "%s", r)
	g.Expect(doc.Failed).To(BeEmpty())
	g.Expect(doc.Ready).To(BeTrue())
	var kinds []string
	for _, w := range doc.Workloads {
		kinds = append(kinds, w.Kind+"/"+w.Name)
	}
	g.Expect(kinds).To(ContainElement("Job/migrate"))
}

// TestCutoverWaitOnDeleteStatefulSet: a StatefulSet with updateStrategy OnDelete whose Pods no
// node takes is not ready (kstatus alone calls it current at once): cutover --wait exits 3 and
// names it.
func TestCutoverWaitOnDeleteStatefulSet(t *testing.T) {
	g := NewWithT(t)
	ns := synced(t, g, "ondelete", func(ns string) []client.Object {
		tmpl := template("ledger")
		tmpl.Spec.NodeSelector = map[string]string{"disk": "none-has-this"}
		return []client.Object{&appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "ledger", Namespace: ns},
			Spec: appsv1.StatefulSetSpec{Replicas: ptr.To[int32](1), ServiceName: "ledger", Selector: selector("ledger"), Template: tmpl,
				UpdateStrategy: appsv1.StatefulSetUpdateStrategy{Type: appsv1.OnDeleteStatefulSetStrategyType}}}}
	})
	r := drSyncer(t, append([]string{"cutover", "--timeout", "20s"}, flagForm(ns)...)...)
	t.Logf("%s", r.Stdout)
	g.Expect(r.Code).To(Equal(3), "%s", r)
	g.Expect(r.Stdout).To(ContainSubstring("not ready after 20s: 1 of 1 workloads"))
	g.Expect(r.Stdout).To(MatchRegexp(`  StatefulSet ledger: InProgress: Ready: 0/1`))
	g.Expect(r.Stdout).NotTo(ContainSubstring("DR ready in"))
}

// syncBuffer is a bytes.Buffer safe to read while the command writes it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestDrillInterruptedCleansUp: a drill interrupted (its context cancelled, as Ctrl-C does)
// while it waits for readiness still deletes its scratch namespace, and leaves the DR namespace
// as it was.
func TestDrillInterruptedCleansUp(t *testing.T) {
	g := NewWithT(t)
	ns := synced(t, g, "drillint", func(ns string) []client.Object { return append(shop(ns), stuck(ns)) })
	drBefore := settledVersions(g, dr, ns)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	root := cli.NewRootCommand()
	root.SetArgs(append([]string{"drill", "--timeout", "5m"}, flagForm(ns)...))
	root.SetOut(&out)
	root.SetErr(&out)
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	g.Eventually(out.String).WithTimeout(upTimeout).WithPolling(interval).Should(ContainSubstring("Deployment web ready after"))
	cancel()
	var err error
	g.Eventually(done).WithTimeout(2 * time.Minute).Should(Receive(&err))
	t.Logf("%s", out.String())
	g.Expect(err).To(MatchError(context.Canceled))
	g.Expect(out.String()).To(ContainSubstring("namespace " + ns + "-drill deleted"))
	g.Eventually(func() bool {
		return apierrors.IsNotFound(dr.Client.Get(context.Background(), client.ObjectKey{Name: ns + "-drill"}, &corev1.Namespace{}))
	}).WithTimeout(upTimeout).WithPolling(interval).Should(BeTrue(), "scratch namespace still there")
	g.Expect(versions(g, dr, ns)).To(Equal(drBefore))
	g.Expect(podCount(g, dr, ns)).To(BeZero())
}

// poolCRD is a namespaced CRD pools.example.com whose scale subresource counts
// .spec.workers.count (status: .status.replicas). No controller runs it.
func poolCRD() *apiextensionsv1.CustomResourceDefinition {
	integer := apiextensionsv1.JSONSchemaProps{Type: "integer"}
	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "pools.example.com"},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: "example.com", Scope: apiextensionsv1.NamespaceScoped,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Kind: "Pool", ListKind: "PoolList", Plural: "pools", Singular: "pool"},
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
				Name: "v1", Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type: "object", Properties: map[string]apiextensionsv1.JSONSchemaProps{
						"spec": {Type: "object", XPreserveUnknownFields: ptr.To(true), Properties: map[string]apiextensionsv1.JSONSchemaProps{
							"workers": {Type: "object", Properties: map[string]apiextensionsv1.JSONSchemaProps{"count": integer}},
						}},
						"status": {Type: "object", Properties: map[string]apiextensionsv1.JSONSchemaProps{"replicas": integer}},
					}}},
				Subresources: &apiextensionsv1.CustomResourceSubresources{Scale: &apiextensionsv1.CustomResourceSubresourceScale{
					SpecReplicasPath: ".spec.workers.count", StatusReplicasPath: ".status.replicas"}},
			}},
		},
	}
}

// installCRD creates crd in h until the test ends, waiting until it is served.
func installCRD(t *testing.T, g Gomega, h *cluster.Handle, crd *apiextensionsv1.CustomResourceDefinition) {
	create(g, h, crd)
	t.Cleanup(func() {
		g := NewWithT(t)
		g.Expect(client.IgnoreNotFound(h.Client.Delete(context.Background(), crd))).To(Succeed())
		g.Eventually(func() bool {
			return apierrors.IsNotFound(h.Client.Get(context.Background(), client.ObjectKey{Name: crd.Name}, &apiextensionsv1.CustomResourceDefinition{}))
		}).WithTimeout(upTimeout).WithPolling(interval).Should(BeTrue())
		h.Invalidate()
	})
	g.Eventually(func(g Gomega) {
		c := &apiextensionsv1.CustomResourceDefinition{}
		g.Expect(h.Client.Get(context.Background(), client.ObjectKey{Name: crd.Name}, c)).To(Succeed())
		established := false
		for _, cond := range c.Status.Conditions {
			established = established || (cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue)
		}
		g.Expect(established).To(BeTrue())
	}).WithTimeout(upTimeout).WithPolling(interval).Should(Succeed())
	h.Invalidate()
}

// TestCutoverWaitScaleSubresource: a custom resource with a scale subresource and no conditions
// (kstatus calls it current at once) is ready only when its scale reports its replicas:
// cutover --wait exits 3 naming it while its status counts none, and 0 once it counts them.
func TestCutoverWaitScaleSubresource(t *testing.T) {
	g := NewWithT(t)
	installCRD(t, g, prod, poolCRD())
	installCRD(t, g, dr, poolCRD())
	gvk := schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Pool"}
	ns := newNamespace(g, prod, "pool")
	p := &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{"workers": map[string]any{"count": int64(2)}}}}
	p.SetGroupVersionKind(gvk)
	p.SetNamespace(ns)
	p.SetName("workers")
	g.Expect(prod.Client.Create(context.Background(), p)).To(Succeed())
	r := drSyncer(t, append([]string{"sync", "--resource-types", "pools.example.com"}, flagForm(ns)...)...)
	g.Expect(r.Code).To(Equal(0), "%s", r)

	r = drSyncer(t, append([]string{"cutover", "--timeout", "5s"}, flagForm(ns)...)...)
	t.Logf("%s", r.Stdout)
	g.Expect(r.Code).To(Equal(3), "%s", r)
	g.Expect(r.Stdout).To(ContainSubstring("Pool workers: InProgress: scale subresource: Replicas: 0/2"))

	live := &unstructured.Unstructured{}
	live.SetGroupVersionKind(gvk)
	g.Expect(dr.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "workers"}, live)).To(Succeed())
	g.Expect(unstructured.SetNestedField(live.Object, int64(2), "status", "replicas")).To(Succeed())
	g.Expect(dr.Client.Update(context.Background(), live)).To(Succeed())
	r = drSyncer(t, append([]string{"cutover", "--timeout", "30s"}, flagForm(ns)...)...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	g.Expect(r.Stdout).To(MatchRegexp(`Pool workers ready after \d+\.\ds`))
}

// countingTransport counts the requests sent through it.
type countingTransport struct {
	next http.RoundTripper
	n    *atomic.Int64
}

func (c countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

// TestWaitReadsOncePerKind: waiting for many workloads reads the DR API server once per kind
// and round (a list), not once per workload: 30 Deployments that never come up, waited for 3
// seconds (about 12 rounds), cost about 12 requests, not 360.
func TestWaitReadsOncePerKind(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(g, dr, "manyworkloads")
	var refs []ops.WorkloadRef
	for i := range 30 {
		d := stuck(ns).(*appsv1.Deployment)
		d.Name = fmt.Sprintf("stuck-%d", i)
		create(g, dr, d)
		refs = append(refs, ops.WorkloadRef{GVR: appsv1.SchemeGroupVersion.WithResource("deployments"), Kind: "Deployment", Name: d.Name})
	}
	var n atomic.Int64
	cfg := rest.CopyConfig(drTB.Config)
	cfg.QPS = -1 // as the command line: no client-side limit
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { return countingTransport{next: rt, n: &n} }
	h, err := cluster.New("dr-counted", cfg)
	g.Expect(err).NotTo(HaveOccurred())
	start := n.Load()
	states, err := ops.WaitReady(context.Background(), h, ns, refs, ops.WaitOptions{Timeout: 3 * time.Second})
	g.Expect(err).To(MatchError(ops.ErrNotReady))
	g.Expect(states).To(HaveLen(30))
	for _, s := range states {
		g.Expect(s.Ready).To(BeFalse())
		g.Expect(s.Message).To(HavePrefix("InProgress"))
	}
	g.Expect(n.Load()-start).To(BeNumerically("<=", 30), "requests to wait 3s for 30 Deployments")
}

// TestWaitKeepsReasonsUnderRateLimit: with a client-side rate limit (a kubeconfig or
// RemoteCluster may set one), a read refused near the timeout does not replace a workload's
// reason with the rate limiter's error: the report at the timeout still says why it is not ready.
func TestWaitKeepsReasonsUnderRateLimit(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(g, dr, "ratelimited")
	var refs []ops.WorkloadRef
	for i := range 3 {
		d := stuck(ns).(*appsv1.Deployment)
		d.Name = fmt.Sprintf("stuck-%d", i)
		create(g, dr, d)
		refs = append(refs, ops.WorkloadRef{GVR: appsv1.SchemeGroupVersion.WithResource("deployments"), Kind: "Deployment", Name: d.Name})
	}
	cfg := rest.CopyConfig(drTB.Config)
	cfg.QPS, cfg.Burst = 2, 1
	h, err := cluster.New("dr-limited", cfg)
	g.Expect(err).NotTo(HaveOccurred())
	states, err := ops.WaitReady(context.Background(), h, ns, refs, ops.WaitOptions{Timeout: 3 * time.Second})
	g.Expect(err).To(MatchError(ops.ErrNotReady))
	for _, s := range states {
		g.Expect(s.Message).To(HavePrefix("InProgress"), "%s %s", s.Kind, s.Name)
	}
}
