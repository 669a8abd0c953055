package transform

import (
	"fmt"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

func TestToDestinationPVC(t *testing.T) {
	mapped := testOpts
	mapped.PVC = drv1.PVCConfig{
		StorageClassMappings: []drv1.StorageClassMapping{{From: "gp3", To: "premium"}, {From: "gp3-csi", To: "standard"}},
		AccessModeMappings: []drv1.AccessModeMapping{
			{From: "ReadWriteOncePod", To: "ReadWriteOnce"},
			{From: "ReadOnlyMany", To: "ReadWriteMany"},
		},
	}
	preserve := testOpts
	preserve.PVC.PreserveVolumeName = true

	runDestinationCases(t, []destinationCase{{
		name: "binding, provisioning and clone source dropped; class and modes mapped and deduplicated",
		opts: &mapped,
		in: `
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
	name: data
	annotations:
		pv.kubernetes.io/bind-completed: "yes"
		pv.kubernetes.io/bound-by-controller: "yes"
		volume.beta.kubernetes.io/storage-provisioner: ebs.csi.aws.com
		volume.kubernetes.io/storage-provisioner: ebs.csi.aws.com
		volume.kubernetes.io/selected-node: node-1
		backup.example.com/policy: daily
spec:
	accessModes: [ReadWriteOncePod, ReadWriteOnce, ReadOnlyMany]
	storageClassName: gp3
	volumeName: pvc-1234
	volumeMode: Filesystem
	dataSource: {kind: VolumeSnapshot, name: snap, apiGroup: snapshot.storage.k8s.io}
	dataSourceRef: {kind: VolumeSnapshot, name: snap, apiGroup: snapshot.storage.k8s.io}
	resources: {requests: {storage: 10Gi}}
status: {phase: Bound}
`,
		want: `
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
	name: data
	annotations: {backup.example.com/policy: daily}
spec:
	accessModes: [ReadWriteOnce, ReadWriteMany]
	storageClassName: premium
	volumeMode: Filesystem
	resources: {requests: {storage: 10Gi}}
`,
	}, {
		name: "volumeName kept when asked",
		opts: &preserve,
		in:   `{apiVersion: v1, kind: PersistentVolumeClaim, metadata: {name: data}, spec: {volumeName: pv-replica-1, storageClassName: gp3}}`,
		want: `{apiVersion: v1, kind: PersistentVolumeClaim, metadata: {name: data}, spec: {volumeName: pv-replica-1, storageClassName: gp3}}`,
	}, {
		name: "class mapping is an exact match",
		opts: &mapped,
		in:   `{apiVersion: v1, kind: PersistentVolumeClaim, metadata: {name: data}, spec: {storageClassName: gp3-fast}}`,
		want: `{apiVersion: v1, kind: PersistentVolumeClaim, metadata: {name: data}, spec: {storageClassName: gp3-fast}}`,
	}, {
		name: "second class mapping applies",
		opts: &mapped,
		in:   `{apiVersion: v1, kind: PersistentVolumeClaim, metadata: {name: data}, spec: {storageClassName: gp3-csi}}`,
		want: `{apiVersion: v1, kind: PersistentVolumeClaim, metadata: {name: data}, spec: {storageClassName: standard}}`,
	}, {
		name: "storageClassName null (no class) stays null",
		opts: &mapped,
		in:   `{apiVersion: v1, kind: PersistentVolumeClaim, metadata: {name: data}, spec: {storageClassName: null, accessModes: [ReadWriteOnce]}}`,
		want: `{apiVersion: v1, kind: PersistentVolumeClaim, metadata: {name: data}, spec: {storageClassName: null, accessModes: [ReadWriteOnce]}}`,
	}, {
		name: "no mappings leave class and modes alone",
		in:   `{apiVersion: v1, kind: PersistentVolumeClaim, metadata: {name: data}, spec: {storageClassName: gp3, accessModes: [ReadWriteOncePod]}}`,
		want: `{apiVersion: v1, kind: PersistentVolumeClaim, metadata: {name: data}, spec: {storageClassName: gp3, accessModes: [ReadWriteOncePod]}}`,
	}, {
		name:    "storageClassName of the wrong type is an error",
		opts:    &mapped,
		in:      `{apiVersion: v1, kind: PersistentVolumeClaim, metadata: {name: data}, spec: {storageClassName: 3}}`,
		wantErr: "storageClassName",
	}})
}

func TestReconcilePVC(t *testing.T) {
	const desired = `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: shop-dr, labels: {dr-syncer.io/mapping: m1}}
spec:
	accessModes: [ReadWriteMany]
	storageClassName: premium
	selector: {matchLabels: {tier: gold}}
	volumeAttributesClassName: fast
	resources: {requests: {storage: %s}}
`
	const live = `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: shop-dr, uid: live-uid, resourceVersion: "7"}
spec:
	accessModes: [ReadWriteOnce]
	storageClassName: standard
	volumeName: pvc-9876
	volumeMode: Filesystem
	volumeAttributesClassName: slow
	resources: {requests: {storage: %s}}
status: {phase: Bound, capacity: {storage: 10Gi}}
`
	// The result is desired with live's immutable fields: volumeAttributesClassName and
	// metadata stay desired's, the selector goes because live has none.
	const want = `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: shop-dr, labels: {dr-syncer.io/mapping: m1}}
spec:
	accessModes: [ReadWriteOnce]
	storageClassName: standard
	volumeName: pvc-9876
	volumeMode: Filesystem
	volumeAttributesClassName: fast
	resources: {requests: {storage: %s}}
`
	cases := []struct {
		name, desired, live, want string
	}{
		{"growth applied", "20Gi", "10Gi", "20Gi"},
		{"shrink ignored", "5Gi", "10Gi", "10Gi"},
		{"units compared by value", "10240Mi", "10Gi", "10240Mi"},
		{"larger in other units", "11000Mi", "10Gi", "11000Mi"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, l := parse(t, fmt.Sprintf(desired, tc.desired)), parse(t, fmt.Sprintf(live, tc.live))
			dBefore, lBefore := d.DeepCopy(), l.DeepCopy()
			got, err := ReconcilePVC(d, l)
			if err != nil {
				t.Fatal(err)
			}
			assertObject(t, got, parse(t, fmt.Sprintf(want, tc.want)))
			assertObject(t, d, dBefore)
			assertObject(t, l, lBefore)
		})
	}

	t.Run("live size kept when desired has none", func(t *testing.T) {
		d := parse(t, `{apiVersion: v1, kind: PersistentVolumeClaim, metadata: {name: data}, spec: {}}`)
		got, err := ReconcilePVC(d, parse(t, fmt.Sprintf(live, "10Gi")))
		if err != nil {
			t.Fatal(err)
		}
		if s, _, _ := unstructured.NestedString(got.Object, storageRequestPath...); s != "10Gi" {
			t.Errorf("storage = %q, want 10Gi", s)
		}
	})

	errCases := []struct {
		name, desired, live, wantErr string
	}{
		{"garbled desired size", fmt.Sprintf(desired, "lots"), fmt.Sprintf(live, "10Gi"), `"lots"`},
		{"garbled live size", fmt.Sprintf(desired, "10Gi"), fmt.Sprintf(live, "x"), `"x"`},
		{"not a PVC", `{apiVersion: v1, kind: ConfigMap, metadata: {name: data}}`, fmt.Sprintf(live, "10Gi"), "not a PersistentVolumeClaim"},
	}
	for _, tc := range errCases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReconcilePVC(parse(t, tc.desired), parse(t, tc.live))
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
	if _, err := ReconcilePVC(nil, parse(t, fmt.Sprintf(live, "1Gi"))); err == nil {
		t.Error("ReconcilePVC(nil, live) returned no error")
	}
}
