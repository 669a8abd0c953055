package transform

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestSkipReason(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want string // substring of the reason; "" means the object is synced
	}{
		{"ignore label", `{apiVersion: v1, kind: ConfigMap, metadata: {name: a, labels: {dr-syncer.io/ignore: "true"}}}`, "ignored"},
		{"ignore label other value", `{apiVersion: v1, kind: ConfigMap, metadata: {name: a, labels: {dr-syncer.io/ignore: "yes"}}}`, ""},
		{"controller owner", `
apiVersion: apps/v1
kind: ReplicaSet
metadata:
	name: web-123
	ownerReferences:
	- {apiVersion: apps/v1, kind: Deployment, name: web, uid: u1, controller: true}
`, "owned by controller Deployment/web"},
		{"non-controller owner", `
apiVersion: v1
kind: ConfigMap
metadata:
	name: a
	ownerReferences:
	- {apiVersion: v1, kind: Secret, name: s, uid: u1, controller: false}
	- {apiVersion: v1, kind: Secret, name: t, uid: u2}
`, ""},
		{"secret of a cert-manager Certificate", `
apiVersion: v1
kind: Secret
metadata:
	name: web-tls
	ownerReferences:
	- {apiVersion: cert-manager.io/v1, kind: Certificate, name: web, uid: u1, controller: true}
type: kubernetes.io/tls
`, ""},
		{"configmap of a cert-manager Certificate", `
apiVersion: v1
kind: ConfigMap
metadata:
	name: web
	ownerReferences:
	- {apiVersion: cert-manager.io/v1, kind: Certificate, name: web, uid: u1, controller: true}
`, "owned by controller Certificate/web"},
		{"secret of a Certificate of another group", `
apiVersion: v1
kind: Secret
metadata:
	name: web-tls
	ownerReferences:
	- {apiVersion: example.com/v1, kind: Certificate, name: web, uid: u1, controller: true}
`, "owned by controller Certificate/web"},
		{"owner kind in syncOwnedBy", `
apiVersion: v1
kind: ConfigMap
metadata:
	name: generated
	ownerReferences:
	- {apiVersion: example.com/v1, kind: Generator, name: g, uid: u1, controller: true}
`, ""},
		{"core owner kind in syncOwnedBy", `
apiVersion: v1
kind: Secret
metadata:
	name: pull
	ownerReferences:
	- {apiVersion: v1, kind: ServiceAccount, name: app, uid: u1, controller: true}
`, ""},
		{"service account token secret", `{apiVersion: v1, kind: Secret, metadata: {name: a}, type: kubernetes.io/service-account-token}`, "token"},
		{"opaque secret", `{apiVersion: v1, kind: Secret, metadata: {name: a}, type: Opaque}`, ""},
		{"token type on a custom Secret kind", `{apiVersion: example.com/v1, kind: Secret, metadata: {name: a}, type: kubernetes.io/service-account-token}`, ""},
		{"root CA configmap", `{apiVersion: v1, kind: ConfigMap, metadata: {name: kube-root-ca.crt}}`, "root CA"},
		{"other configmap", `{apiVersion: v1, kind: ConfigMap, metadata: {name: kube-root-ca}}`, ""},
		{"default service account", `{apiVersion: v1, kind: ServiceAccount, metadata: {name: default}}`, "default service account"},
		{"other service account", `{apiVersion: v1, kind: ServiceAccount, metadata: {name: app}}`, ""},
		{"deployment named default", `{apiVersion: apps/v1, kind: Deployment, metadata: {name: default}}`, ""},
		{"bare pod", `{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: busybox}]}}`, "cannot be parked"},
		{"pod of another group", `{apiVersion: example.com/v1, kind: Pod, metadata: {name: p}}`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts := testOpts
			opts.SyncOwnedBy = []schema.GroupKind{{Group: "example.com", Kind: "Generator"}, {Kind: "ServiceAccount"}}
			got := SkipReason(parse(t, tc.in), opts)
			if tc.want == "" && got != "" {
				t.Errorf("SkipReason = %q, want the object synced", got)
			}
			if tc.want != "" && !strings.Contains(got, tc.want) {
				t.Errorf("SkipReason = %q, want a reason containing %q", got, tc.want)
			}
		})
	}
}

// TestSkipReasonPodWithRule: a ParkingRule for Pods (stash) lets bare Pods through.
func TestSkipReasonPodWithRule(t *testing.T) {
	opts := testOpts
	opts.Rules = map[schema.GroupKind]*Rule{{Kind: "Pod"}: {Name: "ops/pods", Stash: true}}
	if got := SkipReason(parse(t, `{apiVersion: v1, kind: Pod, metadata: {name: p}}`), opts); got != "" {
		t.Errorf("SkipReason = %q, want the Pod stashed", got)
	}
}
