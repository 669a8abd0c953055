package sync_test

import (
	"context"
	"flag"
	"fmt"
	"regexp"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/testbed"
)

var update = flag.Bool("update", false, "rewrite the object catalog in docs/reliability.md")

// objectCase is a source namespace holding an odd object or a mapping naming odd types: the
// message is the mapping's Ready condition after a sync, with the namespace shown as <ns> and
// the duration as <duration>; failed lists status.failedResources as kind/name: reason.
type objectCase struct {
	name, input string
	setup       func(t *testing.T, g Gomega, ns string)
	mutate      func(*drv1.NamespaceMapping)
	// check, when set, looks at the copies in DR.
	check   func(g Gomega, ns string)
	message string
	failed  string
}

var gvkGizmo = schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Gizmo"}

var objectCases = []objectCase{
	{name: "ConfigMap of 900 KiB", input: "a ConfigMap whose data is 900 KiB (the API server's limit is 1 MiB)",
		setup: func(_ *testing.T, g Gomega, ns string) {
			cm := configMap(ns, "big")
			cm.Data["key"] = strings.Repeat("x", 900<<10)
			create(g, prod, cm)
		},
		message: "Synced 1 objects in 25 types: 1 created, 0 updated, 0 unchanged, 0 deleted, 0 skipped, 0 conflicts, 0 failed (<duration>)"},
	{name: "Secret bytes that are not UTF-8", input: "a Secret whose data is not valid UTF-8",
		setup: func(_ *testing.T, g Gomega, ns string) {
			create(g, prod, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "binary"}, Data: map[string][]byte{"k": {0xff, 0xfe, 0x00, 0xc3}}})
		},
		mutate: func(m *drv1.NamespaceMapping) { m.Spec.ResourceTypes = []string{"secrets"} },
		check: func(g Gomega, ns string) {
			s := &corev1.Secret{}
			g.Expect(dr.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "binary"}, s)).To(Succeed())
			g.Expect(s.Data["k"]).To(Equal([]byte{0xff, 0xfe, 0x00, 0xc3}))
		},
		message: "Synced 1 objects in 1 types: 1 created, 0 updated, 0 unchanged, 0 deleted, 0 skipped, 0 conflicts, 0 failed (<duration>)"},
	{name: "unknown resource type", input: "`resourceTypes: [configmaps, frobnicators]`",
		setup:   func(_ *testing.T, g Gomega, ns string) { create(g, prod, configMap(ns, "cm")) },
		mutate:  func(m *drv1.NamespaceMapping) { m.Spec.ResourceTypes = []string{"configmaps", "frobnicators"} },
		message: "Synced 1 objects in 1 types: 1 created, 0 updated, 0 unchanged, 0 deleted, 0 skipped, 0 conflicts, 0 failed (<duration>); resourceTypes not served by the source cluster: frobnicators"},
	{name: "one type named twice", input: "`resourceTypes: [configmaps, ConfigMap]`",
		setup:   func(_ *testing.T, g Gomega, ns string) { create(g, prod, configMap(ns, "cm")) },
		mutate:  func(m *drv1.NamespaceMapping) { m.Spec.ResourceTypes = []string{"configmaps", "ConfigMap"} },
		message: "Synced 1 objects in 1 types: 1 created, 0 updated, 0 unchanged, 0 deleted, 0 skipped, 0 conflicts, 0 failed (<duration>)"},
	{name: "type DR does not serve", input: "a custom resource whose CRD is installed in the source only",
		setup: func(t *testing.T, g Gomega, ns string) {
			installCRD(t, g, prod, namespacedCRD("Gizmo", "gizmos"))
			create(g, prod, widget(gvkGizmo, ns, "g1"), configMap(ns, "cm"))
		},
		mutate:  func(m *drv1.NamespaceMapping) { m.Spec.ResourceTypes = []string{"configmaps", "gizmos.example.com"} },
		message: "Synced with failures: 1 objects in 1 types: 1 created, 0 updated, 0 unchanged, 0 deleted, 0 skipped, 0 conflicts, 1 failed (<duration>); see status.failedResources", failed: "Gizmo/: TypeNotServed: the destination cluster does not serve gizmos.example.com (example.com/v1), and the source namespace has 1 objects of it: install its CRD in the destination, set syncCRDs: true, or exclude the type"},
	{name: "object owned by a controller", input: "a ConfigMap with a controller ownerReference",
		setup: func(_ *testing.T, g Gomega, ns string) {
			cm := configMap(ns, "owned")
			cm.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web-5d4f", UID: "0b7e6a36-0000-4000-8000-000000000001", Controller: ptrTo(true)}}
			create(g, prod, cm)
		},
		mutate:  func(m *drv1.NamespaceMapping) { m.Spec.ResourceTypes = []string{"configmaps"} },
		message: "Synced 1 objects in 1 types: 0 created, 0 updated, 0 unchanged, 0 deleted, 1 skipped, 0 conflicts, 0 failed (<duration>)"},
	{name: "service account token", input: "a Secret of type kubernetes.io/service-account-token",
		setup: func(_ *testing.T, g Gomega, ns string) {
			create(g, prod, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "token",
				Annotations: map[string]string{corev1.ServiceAccountNameKey: "default"}}, Type: corev1.SecretTypeServiceAccountToken})
		},
		mutate:  func(m *drv1.NamespaceMapping) { m.Spec.ResourceTypes = []string{"secrets"} },
		message: "Synced 1 objects in 1 types: 0 created, 0 updated, 0 unchanged, 0 deleted, 1 skipped, 0 conflicts, 0 failed (<duration>)"},
}

func ptrTo[T any](v T) *T { return &v }

var duration = regexp.MustCompile(`\([0-9.]+(ns|µs|ms|s|m)[0-9.a-zµ]*\)`)

// TestObjectCatalog syncs each odd source once and checks exactly what the mapping reports.
func TestObjectCatalog(t *testing.T) {
	for i, tc := range objectCases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			ns := newNamespace(t, g, "objcat")
			tc.setup(t, g, ns)
			name := fmt.Sprintf("objcat-%d", i)
			create(g, prod, mapping(name, ns, ns, func(m *drv1.NamespaceMapping) {
				if tc.mutate != nil {
					tc.mutate(m)
				}
			}))
			t.Cleanup(func() { deleteMapping(NewWithT(t), name) })
			m := triggerSync(t, g, name)
			msg := duration.ReplaceAllString(strings.ReplaceAll(condition(m, drv1.ConditionReady).Message, ns, "<ns>"), "(<duration>)")
			var failed []string
			for _, f := range m.Status.FailedResources {
				failed = append(failed, fmt.Sprintf("%s/%s: %s: %s", f.Kind, f.Name, f.Reason, strings.ReplaceAll(f.Message, ns, "<ns>")))
			}
			t.Logf("OBJCAT %q %q %q", tc.name, msg, strings.Join(failed, "; "))
			g.Expect(msg).To(Equal(tc.message))
			g.Expect(strings.Join(failed, "; ")).To(Equal(tc.failed))
			if tc.check != nil {
				tc.check(g, ns)
			}
		})
	}
}

// TestReliabilityDocObjects fails when the object catalog in docs/reliability.md is stale;
// -update rewrites it.
func TestReliabilityDocObjects(t *testing.T) {
	var b strings.Builder
	b.WriteString("| Input | Case | Ready condition | status.failedResources |\n|---|---|---|---|\n")
	for _, c := range objectCases {
		failed := "none"
		if c.failed != "" {
			failed = "`" + c.failed + "`"
		}
		fmt.Fprintf(&b, "| %s | %s | `%s` | %s |\n", c.input, c.name, c.message, failed)
	}
	if err := testbed.DocSection("../../docs/reliability.md", "object catalog", b.String(), *update,
		"go test ./test/sync -run TestReliabilityDocObjects -update"); err != nil {
		t.Fatal(err)
	}
}
