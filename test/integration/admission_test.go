package integration

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// admissionNamespace holds the objects of the admission tests; the controller does not serve it.
const admissionNamespace = "admission"

func validRemoteCluster() map[string]any {
	return map[string]any{
		"kubeconfigSecretRef": map[string]any{"name": "prod-kubeconfig"},
	}
}

func validMapping() map[string]any {
	return map[string]any{
		"sourceCluster":      "prod",
		"destinationCluster": "dr",
		"sourceNamespace":    "shop",
	}
}

func object(kind string, spec map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"spec": spec}}
	u.SetAPIVersion(drv1.GroupVersion.String())
	u.SetKind(kind)
	u.SetNamespace(admissionNamespace)
	u.SetName(uniqueName(strings.ToLower(kind)))
	return u
}

// mutation sets spec.<path> (dot-separated) to v; v == nil removes the field.
type mutation struct {
	path string
	v    any
}

func set(path string, v any) mutation { return mutation{path: path, v: v} }

func (m mutation) apply(spec map[string]any) {
	fields := strings.Split(m.path, ".")
	if m.v == nil {
		unstructured.RemoveNestedField(spec, fields...)
		return
	}
	if err := unstructured.SetNestedField(spec, m.v, fields...); err != nil {
		panic(err)
	}
}

// String shows the mutation as the catalog's input column does.
func (m mutation) String() string {
	if m.v == nil {
		return "no `spec." + m.path + "`"
	}
	b, err := json.Marshal(m.v)
	if err != nil {
		panic(err)
	}
	v := string(b)
	if len(v) > 40 {
		v = v[:20] + "…(" + strconv.Itoa(len(v)) + " bytes)"
	}
	return "`spec." + m.path + ": " + v + "`"
}

// TestAdmissionRejects: every spec row of the bad-input catalog is refused by the API server
// with exactly the catalog's message.
func TestAdmissionRejects(t *testing.T) {
	t.Parallel()
	for _, tt := range admissionCases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			spec := validMapping()
			if tt.kind == "RemoteCluster" {
				spec = validRemoteCluster()
			}
			for _, m := range tt.mutate {
				m.apply(spec)
			}
			err := k8s.Create(context.Background(), object(tt.kind, spec))
			g := NewWithT(t)
			g.Expect(apierrors.IsInvalid(err)).To(BeTrue(), "want Invalid, got %v", err)
			t.Logf("CATALOG %q %q", tt.name, admissionMessage(err))
			g.Expect(admissionMessage(err)).To(Equal(tt.message))
		})
	}
}

// admissionMessage is what follows "<kind> "<name>" is invalid: " in an admission error.
func admissionMessage(err error) string {
	msg := err.Error()
	if _, rest, ok := strings.Cut(msg, " is invalid: "); ok {
		return rest
	}
	return msg
}

func TestAdmissionDefaults(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := NewWithT(t)

	rcObj := object("RemoteCluster", validRemoteCluster())
	g.Expect(k8s.Create(ctx, rcObj)).To(Succeed())
	rc := &drv1.RemoteCluster{}
	g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(rcObj), rc)).To(Succeed())
	g.Expect(rc.Spec.KubeconfigSecretRef.Key).To(Equal("kubeconfig"))
	// No client-side rate limit unless asked for (issue 15): no default.
	g.Expect(rc.Spec.QPS).To(BeZero())
	g.Expect(rc.Spec.Burst).To(BeZero())
	g.Expect(rc.Spec.HealthCheckInterval.Duration).To(Equal(time.Minute))
	g.Expect(rc.Spec.Context).To(BeEmpty())

	nmObj := object("NamespaceMapping", validMapping())
	g.Expect(k8s.Create(ctx, nmObj)).To(Succeed())
	nm := &drv1.NamespaceMapping{}
	g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(nmObj), nm)).To(Succeed())
	s := nm.Spec
	g.Expect(s.ReplicationMode).To(Equal(drv1.ModeScheduled))
	g.Expect(s.Schedule).To(BeEmpty(), "the effective schedule comes from CronSchedule()")
	g.Expect(s.TimeZone).To(Equal("UTC"))
	g.Expect(s.ResourceTypes).To(Equal([]string{"*"}))
	g.Expect(s.Prune.Enabled).To(HaveValue(BeTrue()))
	g.Expect(s.Prune.MaxDeletePercent).To(HaveValue(Equal(int32(50))))
	g.Expect(s.ConflictPolicy).To(Equal(drv1.ConflictSkip))
	g.Expect(s.ImmutableFieldPolicy).To(Equal(drv1.ImmutableSkip))
	g.Expect(s.DeletionPolicy).To(Equal(drv1.DeletionRetain))
	g.Expect(s.NamespaceConfig.CreateNamespace).To(HaveValue(BeTrue()))
	g.Expect(s.NamespaceConfig.CopyLabels).To(HaveValue(BeTrue()))
	g.Expect(s.NamespaceConfig.CopyAnnotations).To(HaveValue(BeTrue()))
	g.Expect(s.ScaleToZero).To(HaveValue(BeTrue()))
	g.Expect(s.SyncCRDs).To(BeFalse())
	g.Expect(s.Continuous.ResyncInterval.Duration).To(Equal(10 * time.Minute))

	// Same cluster, different namespace, Continuous with its resync interval: valid.
	cont := validMapping()
	set("sourceCluster", "dr").apply(cont)
	set("destinationNamespace", "shop-dr").apply(cont)
	set("replicationMode", "Continuous").apply(cont)
	set("continuous.resyncInterval", "30s").apply(cont)
	set("resourceTypes", []any{"deployments.apps", "ConfigMap", "services"}).apply(cont)
	contObj := object("NamespaceMapping", cont)
	g.Expect(k8s.Create(ctx, contObj)).To(Succeed())
	g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(contObj), nm)).To(Succeed())
	g.Expect(nm.Spec.Continuous.ResyncInterval.Duration).To(Equal(30 * time.Second))
	g.Expect(nm.Spec.ResourceTypes).To(ConsistOf("deployments.apps", "ConfigMap", "services"))
	g.Expect(nm.Spec.Prune.MaxDeletePercent).To(HaveValue(Equal(int32(50))))

	// A descriptor schedule in Scheduled mode, the edges of the numeric ranges.
	edges := validMapping()
	set("schedule", "@every 10m").apply(edges)
	set("timeZone", "America/Argentina/Buenos_Aires").apply(edges)
	set("prune.maxDeletePercent", int64(0)).apply(edges)
	g.Expect(k8s.Create(ctx, object("NamespaceMapping", edges))).To(Succeed())
	// The most frequent schedules admitted: once a minute.
	for _, schedule := range []string{"@every 1m", "@every 60s", "@every 1h30m", "* * * * *", "@hourly"} {
		s := validMapping()
		set("schedule", schedule).apply(s)
		g.Expect(k8s.Create(ctx, object("NamespaceMapping", s))).To(Succeed(), "schedule %q", schedule)
	}
	rcEdges := validRemoteCluster()
	set("qps", int64(1)).apply(rcEdges)
	set("burst", int64(20000)).apply(rcEdges)
	set("healthCheckInterval", "10s").apply(rcEdges)
	g.Expect(k8s.Create(ctx, object("RemoteCluster", rcEdges))).To(Succeed())
}
