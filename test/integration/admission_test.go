package integration

import (
	"context"
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

// set sets spec.<path> (dot-separated) to v; v == nil removes the field.
func set(path string, v any) func(map[string]any) {
	return func(spec map[string]any) {
		fields := strings.Split(path, ".")
		if v == nil {
			unstructured.RemoveNestedField(spec, fields...)
			return
		}
		if err := unstructured.SetNestedField(spec, v, fields...); err != nil {
			panic(err)
		}
	}
}

func TestAdmissionRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		kind    string
		mutate  []func(map[string]any)
		message string
	}{
		// RemoteCluster
		{"missing kubeconfigSecretRef", "RemoteCluster", []func(map[string]any){set("kubeconfigSecretRef", nil)}, "spec.kubeconfigSecretRef: Required value"},
		{"missing kubeconfigSecretRef.name", "RemoteCluster", []func(map[string]any){set("kubeconfigSecretRef.name", nil)}, "spec.kubeconfigSecretRef.name: Required value"},
		{"secret name not DNS", "RemoteCluster", []func(map[string]any){set("kubeconfigSecretRef.name", "Prod_Kubeconfig")}, "name must be a DNS-1123 subdomain"},
		{"secret key with spaces", "RemoteCluster", []func(map[string]any){set("kubeconfigSecretRef.key", "kube config")}, "key must consist of letters, digits, '-', '_' or '.'"},
		{"qps 0", "RemoteCluster", []func(map[string]any){set("qps", int64(0))}, "spec.qps in body should be greater than or equal to 1"},
		{"burst 0", "RemoteCluster", []func(map[string]any){set("burst", int64(0))}, "spec.burst in body should be greater than or equal to 1"},
		{"burst too high", "RemoteCluster", []func(map[string]any){set("burst", int64(20001))}, "spec.burst in body should be less than or equal to 20000"},
		{"healthCheckInterval 5s", "RemoteCluster", []func(map[string]any){set("healthCheckInterval", "5s")}, "healthCheckInterval must be at least 10s"},

		// NamespaceMapping
		{"missing destinationCluster", "NamespaceMapping", []func(map[string]any){set("destinationCluster", nil)}, "spec.destinationCluster: Required value"},
		{"missing sourceNamespace", "NamespaceMapping", []func(map[string]any){set("sourceNamespace", nil)}, "spec.sourceNamespace: Required value"},
		{"destinationCluster not DNS", "NamespaceMapping", []func(map[string]any){set("destinationCluster", "DR_Cluster")}, "destinationCluster must be the name of a RemoteCluster (DNS-1123 subdomain)"},
		{"sourceCluster not DNS", "NamespaceMapping", []func(map[string]any){set("sourceCluster", "prod.")}, "sourceCluster must be the name of a RemoteCluster (DNS-1123 subdomain)"},
		{"sourceNamespace not DNS", "NamespaceMapping", []func(map[string]any){set("sourceNamespace", "Shop.Front")}, "sourceNamespace must be a DNS-1123 label"},
		{"destinationNamespace too long", "NamespaceMapping", []func(map[string]any){set("destinationNamespace", strings.Repeat("a", 64))}, "spec.destinationNamespace: Too long: may not be more than 63 bytes"},
		{"bad replicationMode", "NamespaceMapping", []func(map[string]any){set("replicationMode", "Sometimes")}, `spec.replicationMode: Unsupported value: "Sometimes"`},
		{"bad conflictPolicy", "NamespaceMapping", []func(map[string]any){set("conflictPolicy", "Overwrite")}, `spec.conflictPolicy: Unsupported value: "Overwrite"`},
		{"bad immutableFieldPolicy", "NamespaceMapping", []func(map[string]any){set("immutableFieldPolicy", "Force")}, `spec.immutableFieldPolicy: Unsupported value: "Force"`},
		{"bad deletionPolicy", "NamespaceMapping", []func(map[string]any){set("deletionPolicy", "Orphan")}, `spec.deletionPolicy: Unsupported value: "Orphan"`},
		{"maxDeletePercent 101", "NamespaceMapping", []func(map[string]any){set("prune.maxDeletePercent", int64(101))}, "spec.prune.maxDeletePercent in body should be less than or equal to 100"},
		{"maxDeletePercent -1", "NamespaceMapping", []func(map[string]any){set("prune.maxDeletePercent", int64(-1))}, "spec.prune.maxDeletePercent in body should be greater than or equal to 0"},
		{"resyncInterval 10s", "NamespaceMapping", []func(map[string]any){set("replicationMode", "Continuous"), set("continuous.resyncInterval", "10s")}, "continuous.resyncInterval must be at least 30s"},
		{"namespace mapped onto itself", "NamespaceMapping", []func(map[string]any){set("sourceCluster", "dr")}, "a namespace cannot be mapped onto itself in the same cluster"},
		{"namespace mapped onto itself explicitly", "NamespaceMapping", []func(map[string]any){set("sourceCluster", "dr"), set("destinationNamespace", "shop")}, "a namespace cannot be mapped onto itself in the same cluster"},
		{"schedule with Continuous", "NamespaceMapping", []func(map[string]any){set("replicationMode", "Continuous"), set("schedule", "*/5 * * * *")}, "schedule is only used with replicationMode Scheduled"},
		{"3-field schedule", "NamespaceMapping", []func(map[string]any){set("schedule", "*/5 * *")}, "schedule must have 5 fields"},
		{"negative @every", "NamespaceMapping", []func(map[string]any){set("schedule", "@every -5m")}, "schedule @every takes one duration of at least 1m"},
		{"@every 30s", "NamespaceMapping", []func(map[string]any){set("schedule", "@every 30s")}, "schedule @every takes one duration of at least 1m"},
		{"@every without a duration", "NamespaceMapping", []func(map[string]any){set("schedule", "@every")}, "schedule @every takes one duration of at least 1m"},
		{"@every not a duration", "NamespaceMapping", []func(map[string]any){set("schedule", "@every 5 minutes")}, "schedule @every takes one duration of at least 1m"},
		{"bad timeZone", "NamespaceMapping", []func(map[string]any){set("timeZone", "Europe/Berlin; rm -rf")}, "timeZone must be an IANA time zone name"},
		{"resourceTypes item with spaces", "NamespaceMapping", []func(map[string]any){set("resourceTypes", []any{"config maps"})}, "spec.resourceTypes[0]: Invalid value: \"config maps\""},
		{"empty resourceTypes", "NamespaceMapping", []func(map[string]any){set("resourceTypes", []any{})}, "spec.resourceTypes: Invalid value: 0: spec.resourceTypes in body should have at least 1 items"},
		{"bad accessMode", "NamespaceMapping", []func(map[string]any){set("pvcConfig.accessModeMappings", []any{map[string]any{"from": "ReadWriteOnce", "to": "RWX"}})}, `Unsupported value: "RWX"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			spec := validMapping()
			if tt.kind == "RemoteCluster" {
				spec = validRemoteCluster()
			}
			for _, m := range tt.mutate {
				m(spec)
			}
			err := k8s.Create(context.Background(), object(tt.kind, spec))
			g := NewWithT(t)
			g.Expect(apierrors.IsInvalid(err)).To(BeTrue(), "want Invalid, got %v", err)
			g.Expect(err.Error()).To(ContainSubstring(tt.message))
		})
	}
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
	// No qps and burst by default: no client-side rate limit (see the field docs).
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
	set("sourceCluster", "dr")(cont)
	set("destinationNamespace", "shop-dr")(cont)
	set("replicationMode", "Continuous")(cont)
	set("continuous.resyncInterval", "30s")(cont)
	set("resourceTypes", []any{"deployments.apps", "ConfigMap", "services"})(cont)
	contObj := object("NamespaceMapping", cont)
	g.Expect(k8s.Create(ctx, contObj)).To(Succeed())
	g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(contObj), nm)).To(Succeed())
	g.Expect(nm.Spec.Continuous.ResyncInterval.Duration).To(Equal(30 * time.Second))
	g.Expect(nm.Spec.ResourceTypes).To(ConsistOf("deployments.apps", "ConfigMap", "services"))
	g.Expect(nm.Spec.Prune.MaxDeletePercent).To(HaveValue(Equal(int32(50))))

	// A descriptor schedule in Scheduled mode, the edges of the numeric ranges.
	edges := validMapping()
	set("schedule", "@every 10m")(edges)
	set("timeZone", "America/Argentina/Buenos_Aires")(edges)
	set("prune.maxDeletePercent", int64(0))(edges)
	g.Expect(k8s.Create(ctx, object("NamespaceMapping", edges))).To(Succeed())
	// The most frequent schedules admitted: once a minute.
	for _, schedule := range []string{"@every 1m", "@every 60s", "@every 1h30m", "* * * * *", "@hourly"} {
		s := validMapping()
		set("schedule", schedule)(s)
		g.Expect(k8s.Create(ctx, object("NamespaceMapping", s))).To(Succeed(), "schedule %q", schedule)
	}
	rcEdges := validRemoteCluster()
	set("qps", int64(1))(rcEdges)
	set("burst", int64(20000))(rcEdges)
	set("healthCheckInterval", "10s")(rcEdges)
	g.Expect(k8s.Create(ctx, object("RemoteCluster", rcEdges))).To(Succeed())
}
