package transform

import "testing"

func TestToDestinationMetadata(t *testing.T) {
	local := testOpts
	local.SourceCluster = ""
	noDest := testOpts
	noDest.DestNamespace = ""
	noMapping := testOpts
	noMapping.MappingID = ""

	runDestinationCases(t, []destinationCase{{
		name: "server-set metadata and status are stripped, provenance added",
		in: `
apiVersion: v1
kind: ConfigMap
metadata:
	name: app
	namespace: shop
	uid: 1234-abcd
	resourceVersion: "42"
	generation: 3
	creationTimestamp: "2024-01-01T00:00:00Z"
	deletionTimestamp: "2024-01-02T00:00:00Z"
	deletionGracePeriodSeconds: 30
	selfLink: /api/v1/namespaces/shop/configmaps/app
	finalizers: [example.com/keep]
	ownerReferences:
	- {apiVersion: v1, kind: Secret, name: s, uid: u1}
	managedFields:
	- {manager: kubectl, operation: Apply}
	labels: {app: shop}
	annotations:
		kubectl.kubernetes.io/last-applied-configuration: "{}"
		team: payments
data: {k: v}
status: {anything: here}
`,
		want: `
apiVersion: v1
kind: ConfigMap
metadata:
	name: app
	labels: {app: shop}
	annotations:
		team: payments
		dr-syncer.io/source-uid: 1234-abcd
data: {k: v}
`,
	}, {
		name: "annotations dr-syncer manages cannot be smuggled in from the source",
		opts: &Options{SourceCluster: "prod", SourceNamespace: "shop", DestNamespace: "shop-dr", MappingID: "m1"},
		in: `
apiVersion: apps/v1
kind: Deployment
metadata:
	name: web
	labels: {dr-syncer.io/mapping: other}
	annotations:
		dr-syncer.io/source: evil/x/y
		dr-syncer.io/source-uid: forged
		dr-syncer.io/original-replicas: "99"
		dr-syncer.io/original-suspend: "false"
		dr-syncer.io/original-node-selector: "{}"
spec: {replicas: 2}
`,
		want: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec: {replicas: 2}
`,
	}, {
		name: "empty source cluster is written as local",
		opts: &local,
		in:   `{apiVersion: v1, kind: ConfigMap, metadata: {name: app}}`,
		want: `{apiVersion: v1, kind: ConfigMap, metadata: {name: app, annotations: {dr-syncer.io/source: local/shop/app}}}`,
	}, {
		name: "labels: null is treated as no labels",
		in:   `{apiVersion: v1, kind: ConfigMap, metadata: {name: app, labels: null}}`,
		want: `{apiVersion: v1, kind: ConfigMap, metadata: {name: app}}`,
	}, {
		name:    "garbled labels are an error",
		in:      `{apiVersion: v1, kind: ConfigMap, metadata: {name: app, labels: {a: 1}}}`,
		wantErr: "labels",
	}, {
		name:    "garbled metadata is an error",
		in:      `{apiVersion: v1, kind: ConfigMap, metadata: [x]}`,
		wantErr: "metadata",
	}, {
		name:    "destination namespace is required",
		opts:    &noDest,
		in:      `{apiVersion: v1, kind: ConfigMap, metadata: {name: app}}`,
		wantErr: "DestNamespace",
	}, {
		name:    "mapping id is required",
		opts:    &noMapping,
		in:      `{apiVersion: v1, kind: ConfigMap, metadata: {name: app}}`,
		wantErr: "MappingID",
	}})
}

func TestToDestinationNil(t *testing.T) {
	if _, err := ToDestination(nil, testOpts); err == nil {
		t.Fatal("ToDestination(nil) returned no error")
	}
}
