// Package transform turns a source object into its disaster-recovery standby image and back.
// Its functions are pure: they work on copies of *unstructured.Unstructured and do no I/O.
package transform

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// Options say how one mapping transforms objects.
type Options struct {
	SourceCluster   string // name for the source annotation; "" means the local cluster (write "local")
	SourceNamespace string
	DestNamespace   string
	MappingID       string // value of label drv1.LabelMapping
	ScaleToZero     bool
	PVC             drv1.PVCConfig
	// ScaleReplicasPaths are the specReplicasPath of the scale subresource (".spec.replicas")
	// of custom kinds that declare one: their objects are parked like Deployments.
	ScaleReplicasPaths map[schema.GroupKind]string
	// SyncOwnedBy are owner kinds whose owned objects are synced (see SkipReason).
	SyncOwnedBy []schema.GroupKind
	// Rules are the ParkingRules in force, by kind: each replaces the built-in parking of its kind.
	Rules map[schema.GroupKind]*Rule
	// ParkNetworking parks Ingresses and LoadBalancer Services too (see networking.go).
	ParkNetworking bool
}

// LocalCluster names the cluster dr-syncer runs in, in the source annotation.
const LocalCluster = "local"

// Kinds with special rules. Matching is by group and kind so every served version is covered.
var (
	gkDeployment     = schema.GroupKind{Group: "apps", Kind: "Deployment"}
	gkStatefulSet    = schema.GroupKind{Group: "apps", Kind: "StatefulSet"}
	gkReplicaSet     = schema.GroupKind{Group: "apps", Kind: "ReplicaSet"}
	gkRC             = schema.GroupKind{Kind: "ReplicationController"}
	gkDaemonSet      = schema.GroupKind{Group: "apps", Kind: "DaemonSet"}
	gkCronJob        = schema.GroupKind{Group: "batch", Kind: "CronJob"}
	gkJob            = schema.GroupKind{Group: "batch", Kind: "Job"}
	gkService        = schema.GroupKind{Kind: "Service"}
	gkPod            = schema.GroupKind{Kind: "Pod"}
	gkPVC            = schema.GroupKind{Kind: "PersistentVolumeClaim"}
	gkServiceAccount = schema.GroupKind{Kind: "ServiceAccount"}
	gkSecret         = schema.GroupKind{Kind: "Secret"}
	gkConfigMap      = schema.GroupKind{Kind: "ConfigMap"}
	gkRoleBinding    = schema.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "RoleBinding"}
	gkNetworkPolicy  = schema.GroupKind{Group: "networking.k8s.io", Kind: "NetworkPolicy"}
	gkKustomization  = schema.GroupKind{Group: "kustomize.toolkit.fluxcd.io", Kind: "Kustomization"}
	gkHelmRelease    = schema.GroupKind{Group: "helm.toolkit.fluxcd.io", Kind: "HelmRelease"}
	gkScaledObject   = schema.GroupKind{Group: "keda.sh", Kind: "ScaledObject"}
	gkScaledJob      = schema.GroupKind{Group: "keda.sh", Kind: "ScaledJob"}
	gkVirtualMachine = schema.GroupKind{Group: "kubevirt.io", Kind: "VirtualMachine"}
	gkCNPGCluster    = schema.GroupKind{Group: "postgresql.cnpg.io", Kind: "Cluster"}
)

func groupKind(obj *unstructured.Unstructured) schema.GroupKind {
	return obj.GroupVersionKind().GroupKind()
}
