package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// SecretKeyReference points at one key of a Secret in the referring object's namespace.
type SecretKeyReference struct {
	// name of the Secret.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')",message="name must be a DNS-1123 subdomain: lower-case letters, digits, '-' and '.'"
	Name string `json:"name"`

	// key in the Secret's data that holds the kubeconfig.
	// +optional
	// +kubebuilder:default=kubeconfig
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[-._a-zA-Z0-9]+$')",message="key must consist of letters, digits, '-', '_' or '.'"
	Key string `json:"key,omitempty"`
}

// RemoteClusterSpec says how to reach a cluster.
type RemoteClusterSpec struct {
	// kubeconfigSecretRef names the Secret (in this RemoteCluster's namespace) holding a kubeconfig
	// with inline credentials. File paths, exec plugins, auth providers, basic auth and disabled TLS
	// verification are refused.
	// +required
	KubeconfigSecretRef SecretKeyReference `json:"kubeconfigSecretRef"`

	// context of the kubeconfig to use; empty means its current-context.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Context string `json:"context,omitempty"`

	// qps, when set, limits the sustained request rate dr-syncer allows itself toward this
	// cluster (requests per second, client side). Absent means no client-side limit: the API
	// server's Priority and Fairness protects it, and the controller's bounded parallel writers
	// (--workers) bound the load. Set it to cap dr-syncer's share of a busy API server.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=10000
	QPS int32 `json:"qps,omitempty"`

	// burst is the request burst allowed above qps; only used with qps (default: twice qps).
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=20000
	Burst int32 `json:"burst,omitempty"`

	// healthCheckInterval is how often the cluster is probed (/version and /readyz); at least 10s.
	// A cluster that does not answer is probed every 5s until it does.
	// +optional
	// +kubebuilder:default="1m"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('10s')",message="healthCheckInterval must be at least 10s"
	HealthCheckInterval *metav1.Duration `json:"healthCheckInterval,omitempty"`
}

// RemoteClusterStatus is the observed state of a RemoteCluster.
type RemoteClusterStatus struct {
	// observedGeneration is the generation the status was computed for.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// conditions: Ready tells whether the cluster is reachable with the given credentials.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// serverVersion is the Kubernetes version the cluster reported at the last successful probe.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	ServerVersion string `json:"serverVersion,omitempty"`

	// clusterID is the cluster's identity: the UID of its kube-system namespace, read at the
	// last successful probe. Two RemoteClusters with the same clusterID are one cluster, however
	// they are named or addressed; a mapping from a namespace into the same namespace of the
	// same cluster is refused (SameClusterAndNamespace).
	// +optional
	// +kubebuilder:validation:MaxLength=64
	ClusterID string `json:"clusterID,omitempty"`

	// lastProbeTime is when the cluster was last probed.
	// +optional
	LastProbeTime *metav1.Time `json:"lastProbeTime,omitempty"`
}

// RemoteCluster is a cluster dr-syncer can reach through a kubeconfig stored in a Secret.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=rcl,categories=dr-syncer
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Version",type=string,JSONPath=`.status.serverVersion`
// +kubebuilder:printcolumn:name="Cluster ID",type=string,priority=1,JSONPath=`.status.clusterID`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="Message",type=string,priority=1,JSONPath=`.status.conditions[?(@.type=="Ready")].message`
type RemoteCluster struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec RemoteClusterSpec `json:"spec"`
	// +optional
	Status RemoteClusterStatus `json:"status,omitempty"`
}

// RemoteClusterList is a list of RemoteClusters.
// +kubebuilder:object:root=true
type RemoteClusterList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []RemoteCluster `json:"items"`
}
