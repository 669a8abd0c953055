package sync_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/cluster"
)

const (
	timeout  = 60 * time.Second
	interval = 100 * time.Millisecond
)

var nsCounter atomic.Int32

// newNamespace creates a uniquely named namespace in the source cluster.
func newNamespace(t *testing.T, g Gomega, prefix string) string {
	t.Helper()
	name := fmt.Sprintf("%s-%d", prefix, nsCounter.Add(1))
	g.Expect(prod.Client.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name: name, Labels: map[string]string{"team": "payments"}, Annotations: map[string]string{"owner": "alice"},
	}})).To(Succeed())
	return name
}

// create creates objects in one cluster, failing the test on error.
func create(g Gomega, h *cluster.Handle, objs ...client.Object) {
	for _, o := range objs {
		g.Expect(h.Client.Create(context.Background(), o)).To(Succeed(), "creating %T %s", o, o.GetName())
	}
}

// mapping returns a Manual NamespaceMapping from prod's ns to dr's dest.
func mapping(name, ns, dest string, mutate ...func(*drv1.NamespaceMapping)) *drv1.NamespaceMapping {
	m := &drv1.NamespaceMapping{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: controllerNS},
		Spec: drv1.NamespaceMappingSpec{
			DestinationCluster: drClusterRef, SourceNamespace: ns, DestinationNamespace: dest,
			ReplicationMode: drv1.ModeManual,
		},
	}
	for _, f := range mutate {
		f(m)
	}
	return m
}

// triggerSync sets a new sync-now value and waits until that request has been handled.
func triggerSync(t *testing.T, g Gomega, name string) *drv1.NamespaceMapping {
	t.Helper()
	ctx := context.Background()
	value := fmt.Sprintf("t-%d", time.Now().UnixNano())
	m := &drv1.NamespaceMapping{}
	g.Expect(prod.Client.Get(ctx, client.ObjectKey{Namespace: controllerNS, Name: name}, m)).To(Succeed())
	patch := client.MergeFrom(m.DeepCopy())
	if m.Annotations == nil {
		m.Annotations = map[string]string{}
	}
	m.Annotations[drv1.AnnotationSyncNow] = value
	g.Expect(prod.Client.Patch(ctx, m, patch)).To(Succeed())
	return waitMapping(g, name, func(m *drv1.NamespaceMapping) bool {
		return m.Status.LastHandledSyncRequest == value && m.Status.Phase != drv1.PhaseSyncing
	})
}

// waitMapping polls the mapping until ok holds and returns it.
func waitMapping(g Gomega, name string, ok func(*drv1.NamespaceMapping) bool) *drv1.NamespaceMapping {
	m := &drv1.NamespaceMapping{}
	g.Eventually(func(g Gomega) {
		g.Expect(prod.Client.Get(context.Background(), client.ObjectKey{Namespace: controllerNS, Name: name}, m)).To(Succeed())
		g.Expect(ok(m)).To(BeTrue(), "mapping %s: phase=%s conditions=%+v", name, m.Status.Phase, m.Status.Conditions)
	}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
	return m
}

func condition(m *drv1.NamespaceMapping, typ string) *metav1.Condition {
	return meta.FindStatusCondition(m.Status.Conditions, typ)
}

// get reads one object from a cluster as unstructured.
func get(g Gomega, h *cluster.Handle, gvk schema.GroupVersionKind, ns, name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	g.Expect(h.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, u)).To(Succeed(), "%s %s/%s", gvk.Kind, ns, name)
	return u
}

// absent tells whether an object does not exist in a cluster.
func absent(h *cluster.Handle, gvk schema.GroupVersionKind, ns, name string) bool {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	err := h.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, u)
	return apierrors.IsNotFound(err)
}

func nested(g Gomega, u *unstructured.Unstructured, fields ...string) any {
	v, found, err := unstructured.NestedFieldNoCopy(u.Object, fields...)
	g.Expect(err).NotTo(HaveOccurred())
	if !found {
		return nil
	}
	return v
}

func failedNames(m *drv1.NamespaceMapping) string {
	var b strings.Builder
	for _, f := range m.Status.FailedResources {
		fmt.Fprintf(&b, "%s/%s:%s(%s) ", f.Kind, f.Name, f.Reason, f.Message)
	}
	return b.String()
}

// updateMapping changes a mapping's metadata or spec, retrying on write conflicts with the
// controller's own writes.
func updateMapping(g Gomega, name string, mutate func(*drv1.NamespaceMapping)) {
	g.Eventually(func(g Gomega) {
		m := &drv1.NamespaceMapping{}
		g.Expect(prod.Client.Get(context.Background(), client.ObjectKey{Namespace: controllerNS, Name: name}, m)).To(Succeed())
		mutate(m)
		g.Expect(prod.Client.Update(context.Background(), m)).To(Succeed())
	}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
}

// mappingEvents returns the events.k8s.io Events with reason recorded about a mapping.
func mappingEvents(g Gomega, name, reason string) []eventsv1.Event {
	list := &eventsv1.EventList{}
	g.Expect(prod.Client.List(context.Background(), list, client.InNamespace(controllerNS))).To(Succeed())
	var out []eventsv1.Event
	for _, e := range list.Items {
		if e.Regarding.Kind == "NamespaceMapping" && e.Regarding.Name == name && e.Reason == reason {
			out = append(out, e)
		}
	}
	return out
}

// failure finds the failedResources entry of one kind and name ("" for a whole type).
func failure(m *drv1.NamespaceMapping, kind, name string) *drv1.FailedResource {
	for i, f := range m.Status.FailedResources {
		if f.Kind == kind && f.Name == name {
			return &m.Status.FailedResources[i]
		}
	}
	return nil
}

// deleteMapping deletes a mapping and waits until it is gone.
func deleteMapping(g Gomega, name string) {
	m := &drv1.NamespaceMapping{ObjectMeta: metav1.ObjectMeta{Namespace: controllerNS, Name: name}}
	g.Expect(client.IgnoreNotFound(prod.Client.Delete(context.Background(), m))).To(Succeed())
	g.Eventually(func() bool {
		return apierrors.IsNotFound(prod.Client.Get(context.Background(), client.ObjectKeyFromObject(m), m))
	}).WithTimeout(timeout).WithPolling(interval).Should(BeTrue(), "mapping %s still exists", name)
}

func unstructuredSetReplicas(u interface{ UnstructuredContent() map[string]any }, n int64) error {
	spec, ok := u.UnstructuredContent()["spec"].(map[string]any)
	if !ok {
		return fmt.Errorf("no spec")
	}
	spec["replicas"] = n
	return nil
}

// mappingMetric reads a counter or gauge of one mapping, series with labels (pairs) added up,
// from the in-process controller's registry.
func mappingMetric(g Gomega, family, name string, labels ...string) float64 {
	families, err := ctrlmetrics.Registry.Gather()
	g.Expect(err).NotTo(HaveOccurred())
	want := map[string]string{"mapping": controllerNS + "/" + name}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
	var sum float64
	for _, f := range families {
		if f.GetName() != family {
			continue
		}
		for _, m := range f.GetMetric() {
			got := map[string]string{}
			for _, l := range m.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			match := true
			for k, v := range want {
				match = match && got[k] == v
			}
			if match {
				sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
			}
		}
	}
	return sum
}
