package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ReplicationMode says when a NamespaceMapping syncs.
// +kubebuilder:validation:Enum=Scheduled;Continuous;Manual
type ReplicationMode string

const (
	// ModeScheduled syncs on a cron schedule.
	ModeScheduled ReplicationMode = "Scheduled"
	// ModeContinuous syncs every change as it happens, plus a periodic full resync.
	ModeContinuous ReplicationMode = "Continuous"
	// ModeManual syncs only when the dr-syncer.io/sync-now annotation gets a new value.
	ModeManual ReplicationMode = "Manual"
)

// ConflictPolicy says what happens to a destination object dr-syncer did not create.
// +kubebuilder:validation:Enum=Skip;Adopt
type ConflictPolicy string

const (
	// ConflictSkip leaves the object alone and reports it.
	ConflictSkip ConflictPolicy = "Skip"
	// ConflictAdopt takes the object over.
	ConflictAdopt ConflictPolicy = "Adopt"
)

// ImmutableFieldPolicy says what happens when an update hits an immutable field.
// +kubebuilder:validation:Enum=Skip;Recreate
type ImmutableFieldPolicy string

const (
	// ImmutableSkip reports the object and leaves it.
	ImmutableSkip ImmutableFieldPolicy = "Skip"
	// ImmutableRecreate deletes and re-creates the destination object (never a PVC).
	ImmutableRecreate ImmutableFieldPolicy = "Recreate"
)

// DeletionPolicy says what happens to the destination copies when the mapping is deleted.
// +kubebuilder:validation:Enum=Retain;Delete
type DeletionPolicy string

const (
	// DeletionRetain leaves the copies in place.
	DeletionRetain DeletionPolicy = "Retain"
	// DeletionDelete removes every copy this mapping made.
	DeletionDelete DeletionPolicy = "Delete"
)

// Phase is a one-word summary of a NamespaceMapping for printer columns.
// +kubebuilder:validation:Enum=Pending;Syncing;Synced;Failed;Paused;Live
type Phase string

const (
	PhasePending Phase = "Pending"
	PhaseSyncing Phase = "Syncing"
	PhaseSynced  Phase = "Synced"
	PhaseFailed  Phase = "Failed"
	PhasePaused  Phase = "Paused"
	// PhaseLive: cutover brought the DR namespace live (dr-syncer.io/live-since); nothing is
	// synced into it until failback.
	PhaseLive Phase = "Live"
)

// DefaultSchedule is used when a Scheduled mapping names no schedule.
const DefaultSchedule = "*/5 * * * *"

// ContinuousConfig tunes Continuous mode.
type ContinuousConfig struct {
	// resyncInterval is how often a full resync repairs anything a watch missed; at least 30s.
	// +optional
	// +kubebuilder:default="10m"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('30s')",message="continuous.resyncInterval must be at least 30s"
	ResyncInterval *metav1.Duration `json:"resyncInterval,omitempty"`
}

// NamespaceConfig controls the destination namespace itself.
type NamespaceConfig struct {
	// createNamespace creates the destination namespace when it is missing.
	// +optional
	// +kubebuilder:default=true
	CreateNamespace *bool `json:"createNamespace,omitempty"`
	// copyLabels copies the source namespace's labels to the destination namespace.
	// +optional
	// +kubebuilder:default=true
	CopyLabels *bool `json:"copyLabels,omitempty"`
	// copyAnnotations copies the source namespace's annotations to the destination namespace.
	// +optional
	// +kubebuilder:default=true
	CopyAnnotations *bool `json:"copyAnnotations,omitempty"`
}

// PruneConfig controls deletion of destination copies whose source is gone.
type PruneConfig struct {
	// enabled deletes destination copies whose source object is gone or no longer selected.
	// +optional
	// +kubebuilder:default=true
	Enabled *bool `json:"enabled,omitempty"`
	// maxDeletePercent: a sync that would delete more than this share of the mapping's managed
	// objects (and more than 10 of them) deletes nothing and sets PruneBlocked.
	// +optional
	// +kubebuilder:default=50
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	MaxDeletePercent *int32 `json:"maxDeletePercent,omitempty"`
}

// StorageClassMapping renames a storage class on the way to DR.
type StorageClassMapping struct {
	// from is the source storage class name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	From string `json:"from"`
	// to is the destination storage class name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	To string `json:"to"`
}

// AccessMode is a PersistentVolumeClaim access mode.
// +kubebuilder:validation:Enum=ReadWriteOnce;ReadOnlyMany;ReadWriteMany;ReadWriteOncePod
type AccessMode string

// AccessModeMapping replaces one access mode on the way to DR.
type AccessModeMapping struct {
	// from is the source access mode.
	// +required
	From AccessMode `json:"from"`
	// to is the destination access mode.
	// +required
	To AccessMode `json:"to"`
}

// PVCConfig controls how PersistentVolumeClaims, and the claim templates of workloads, are copied.
type PVCConfig struct {
	// storageClassMappings rename storage classes: of PVCs, of StatefulSet volumeClaimTemplates
	// and of generic ephemeral volumes in pod templates.
	// +optional
	// +listType=map
	// +listMapKey=from
	// +kubebuilder:validation:MaxItems=32
	StorageClassMappings []StorageClassMapping `json:"storageClassMappings,omitempty"`
	// accessModeMappings replace access modes, in the same places.
	// +optional
	// +listType=map
	// +listMapKey=from
	// +kubebuilder:validation:MaxItems=4
	AccessModeMappings []AccessModeMapping `json:"accessModeMappings,omitempty"`
	// preserveVolumeName keeps spec.volumeName (for pre-provisioned, replicated volumes).
	// +optional
	// +kubebuilder:default=false
	PreserveVolumeName bool `json:"preserveVolumeName,omitempty"`
}

// OwnerKind names the kind of a controller owner.
type OwnerKind struct {
	// group of the owner kind, such as cert-manager.io; empty for the core group.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self == '' || self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')",message="group must be an API group such as cert-manager.io (DNS-1123 subdomain), or empty for the core group"
	Group string `json:"group,omitempty"`
	// kind of the owner, such as Certificate.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="self.matches('^[A-Z][A-Za-z0-9]*$')",message="kind must be a Kind such as Certificate: a capital letter, then letters and digits"
	Kind string `json:"kind"`
}

// NamespaceMappingSpec says which namespace is replicated where, and how.
// +kubebuilder:validation:XValidation:rule="!(has(self.sourceCluster) && self.sourceCluster == self.destinationCluster && self.sourceNamespace == (has(self.destinationNamespace) ? self.destinationNamespace : self.sourceNamespace))",message="a namespace cannot be mapped onto itself in the same cluster: change destinationNamespace or destinationCluster"
// +kubebuilder:validation:XValidation:rule="!has(self.schedule) || self.replicationMode == 'Scheduled'",message="schedule is only used with replicationMode Scheduled: remove it or set replicationMode: Scheduled"
type NamespaceMappingSpec struct {
	// sourceCluster is the RemoteCluster to read from; empty means the cluster dr-syncer runs in.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')",message="sourceCluster must be the name of a RemoteCluster (DNS-1123 subdomain)"
	SourceCluster string `json:"sourceCluster,omitempty"`

	// destinationCluster is the RemoteCluster to write to.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')",message="destinationCluster must be the name of a RemoteCluster (DNS-1123 subdomain)"
	DestinationCluster string `json:"destinationCluster"`

	// sourceNamespace is the namespace to replicate.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')",message="sourceNamespace must be a DNS-1123 label: lower-case letters, digits and '-', at most 63 characters"
	SourceNamespace string `json:"sourceNamespace"`

	// destinationNamespace is the namespace written in the destination cluster; empty means the
	// source namespace's name.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')",message="destinationNamespace must be a DNS-1123 label: lower-case letters, digits and '-', at most 63 characters"
	DestinationNamespace string `json:"destinationNamespace,omitempty"`

	// replicationMode: Scheduled (cron), Continuous (watch-driven) or Manual (on request).
	// +optional
	// +kubebuilder:default=Scheduled
	ReplicationMode ReplicationMode `json:"replicationMode,omitempty"`

	// schedule is a cron expression (5 fields, or @hourly, @daily, @every 10m, ...) for Scheduled
	// mode; empty means "*/5 * * * *". It may fire at most once a minute: @every takes a
	// duration of at least 1m.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:XValidation:rule="self.startsWith('@') || self.trim().split(' ').filter(f, f != '').size() == 5",message="schedule must have 5 fields (minute hour day-of-month month day-of-week) or be a descriptor such as @hourly or @every 10m"
	// +kubebuilder:validation:XValidation:rule="!self.startsWith('@') || self.startsWith('@every') || self in ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']",message="schedule descriptor must be one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly or @every <duration>"
	// +kubebuilder:validation:XValidation:rule="!self.startsWith('@every') || (self.startsWith('@every ') && self.substring(7).matches('^([0-9]{1,9}(\\\\.[0-9]{1,9})?(ns|us|µs|ms|s|m|h))+$') && duration(self.substring(7)) >= duration('1m'))",message="schedule @every takes one duration of at least 1m, such as @every 5m or @every 1h30m: dr-syncer syncs at most once a minute"
	Schedule string `json:"schedule,omitempty"`

	// timeZone is the IANA time zone the schedule is read in.
	// +optional
	// +kubebuilder:default=UTC
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.matches('^[A-Za-z0-9_+/-]+$')",message="timeZone must be an IANA time zone name such as UTC or Europe/Berlin"
	TimeZone string `json:"timeZone,omitempty"`

	// continuous tunes Continuous mode.
	// +optional
	// +kubebuilder:default={}
	Continuous ContinuousConfig `json:"continuous,omitempty"`

	// paused stops all syncing until set back to false.
	// +optional
	Paused bool `json:"paused,omitempty"`

	// resourceTypes to sync: Kind (Deployment), plural (deployments) or group-qualified
	// (deployments.apps), case-insensitive; "*" means every namespaced type that can be listed and
	// created, minus those that never make sense to copy (Pods, ReplicaSets, Events, ...).
	// +optional
	// +kubebuilder:default={"*"}
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=128
	// +kubebuilder:validation:items:MaxLength=253
	// +kubebuilder:validation:items:Pattern=`^(\*|[A-Za-z0-9][-A-Za-z0-9.]*)$`
	// +listType=set
	ResourceTypes []string `json:"resourceTypes,omitempty"`

	// excludeResourceTypes are subtracted from resourceTypes; same forms.
	// +optional
	// +kubebuilder:validation:MaxItems=128
	// +kubebuilder:validation:items:MaxLength=253
	// +kubebuilder:validation:items:Pattern=`^[A-Za-z0-9][-A-Za-z0-9.]*$`
	// +listType=set
	ExcludeResourceTypes []string `json:"excludeResourceTypes,omitempty"`

	// labelSelector limits the sync to source objects with matching labels.
	// +optional
	LabelSelector *metav1.LabelSelector `json:"labelSelector,omitempty"`

	// scaleToZero parks the replica kinds (Deployments, StatefulSets, ReplicaSets,
	// ReplicationControllers, custom resources with a scale subresource) at 0 replicas in DR,
	// recording the source count.
	// +optional
	// +kubebuilder:default=true
	ScaleToZero *bool `json:"scaleToZero,omitempty"`

	// syncOwnedBy adds owner kinds whose objects are synced although they have a controller
	// ownerReference (which the copy loses): objects owned by a controller are skipped otherwise,
	// since DR's controllers recreate them from their owner. Secrets owned by a cert-manager.io
	// Certificate are always synced: DR cannot recreate them without reissuing the certificate.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	// +listType=atomic
	// +kubebuilder:validation:XValidation:rule="self.all(o, self.exists_one(p, p.kind == o.kind && (has(p.group) ? p.group : '') == (has(o.group) ? o.group : '')))",message="syncOwnedBy must name each owner kind (group and kind) once"
	SyncOwnedBy []OwnerKind `json:"syncOwnedBy,omitempty"`

	// parkNetworking also parks what lets DR take traffic before cutover: an Ingress gets
	// ingressClassName dr-syncer-parked (a class no controller serves) and the external-dns
	// annotation external-dns.alpha.kubernetes.io/exclude "true"; a LoadBalancer Service becomes
	// type ClusterIP. The originals are recorded on each object and restored by cutover. Off by
	// default: while parked, DR has no load balancer address and no DNS records, so cutover must
	// wait for them (a cloud load balancer and DNS propagation take minutes).
	// +optional
	// +kubebuilder:default=false
	ParkNetworking bool `json:"parkNetworking,omitempty"`

	// syncCRDs copies the CustomResourceDefinitions of synced custom types to DR first.
	// +optional
	// +kubebuilder:default=false
	SyncCRDs bool `json:"syncCRDs,omitempty"`

	// namespaceConfig controls the destination namespace.
	// +optional
	// +kubebuilder:default={}
	NamespaceConfig NamespaceConfig `json:"namespaceConfig,omitempty"`

	// prune controls deletion of copies whose source is gone.
	// +optional
	// +kubebuilder:default={}
	Prune PruneConfig `json:"prune,omitempty"`

	// conflictPolicy: what to do with a destination object that dr-syncer did not create.
	// +optional
	// +kubebuilder:default=Skip
	ConflictPolicy ConflictPolicy `json:"conflictPolicy,omitempty"`

	// immutableFieldPolicy: what to do when an update hits an immutable field.
	// +optional
	// +kubebuilder:default=Skip
	ImmutableFieldPolicy ImmutableFieldPolicy `json:"immutableFieldPolicy,omitempty"`

	// pvcConfig controls how PersistentVolumeClaims are copied.
	// +optional
	PVCConfig PVCConfig `json:"pvcConfig,omitempty"`

	// deletionPolicy: Retain leaves the copies when this mapping is deleted, Delete removes them.
	// +optional
	// +kubebuilder:default=Retain
	DeletionPolicy DeletionPolicy `json:"deletionPolicy,omitempty"`
}

// SyncStats counts what one sync did.
type SyncStats struct {
	// +optional
	Total int32 `json:"total"`
	// +optional
	Created int32 `json:"created"`
	// +optional
	Updated int32 `json:"updated"`
	// +optional
	Unchanged int32 `json:"unchanged"`
	// +optional
	Deleted int32 `json:"deleted"`
	// +optional
	Skipped int32 `json:"skipped"`
	// +optional
	Conflicts int32 `json:"conflicts"`
	// +optional
	Failed int32 `json:"failed"`
	// stashed counts the objects of stashed kinds (ParkingRule stash: true), held in Secrets
	// of type dr-syncer.io/stash until cutover.
	// +optional
	Stashed int32 `json:"stashed,omitempty"`
}

// FailedResource is one object the last sync could not write.
type FailedResource struct {
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Group string `json:"group,omitempty"`
	// +required
	// +kubebuilder:validation:MaxLength=63
	Kind string `json:"kind"`
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name,omitempty"`
	// reason is a CamelCase word: Conflict, Immutable, ApplyFailed, ...
	// +required
	// +kubebuilder:validation:MaxLength=64
	Reason string `json:"reason"`
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Message string `json:"message,omitempty"`
}

// MaxFailedResources bounds status.failedResources.
const MaxFailedResources = 20

// NamespaceMappingStatus is the observed state of a NamespaceMapping.
type NamespaceMappingStatus struct {
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// conditions: Ready, Reconciling, Stalled and PruneBlocked.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// phase summarises the conditions for printer columns.
	// +optional
	Phase Phase `json:"phase,omitempty"`

	// liveSince is when cutover brought the DR namespace live (its dr-syncer.io/live-since
	// annotation); set only while phase is Live.
	// +optional
	LiveSince *metav1.Time `json:"liveSince,omitempty"`

	// lastSyncTime is when the last sync finished, successful or not.
	// +optional
	LastSyncTime *metav1.Time `json:"lastSyncTime,omitempty"`
	// lastSuccessfulSyncTime is when the last sync without failures finished: the recovery point.
	// +optional
	LastSuccessfulSyncTime *metav1.Time `json:"lastSuccessfulSyncTime,omitempty"`
	// nextSyncTime is when the next scheduled sync is due.
	// +optional
	NextSyncTime *metav1.Time `json:"nextSyncTime,omitempty"`
	// lastEventTime is when Continuous mode last replicated a single change.
	// +optional
	LastEventTime *metav1.Time `json:"lastEventTime,omitempty"`
	// lastSyncDuration is how long the last full sync took.
	// +optional
	LastSyncDuration *metav1.Duration `json:"lastSyncDuration,omitempty"`
	// lastSyncStats counts what the last full sync did.
	// +optional
	LastSyncStats *SyncStats `json:"lastSyncStats,omitempty"`
	// failedResources lists up to 20 objects the last sync could not write.
	// +optional
	// +kubebuilder:validation:MaxItems=20
	FailedResources []FailedResource `json:"failedResources,omitempty"`
	// unresolvedResourceTypes lists resourceTypes entries the source cluster does not serve.
	// +optional
	// +kubebuilder:validation:MaxItems=128
	// +kubebuilder:validation:items:MaxLength=253
	UnresolvedResourceTypes []string `json:"unresolvedResourceTypes,omitempty"`
	// lastHandledSyncRequest is the last dr-syncer.io/sync-now value acted on.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	LastHandledSyncRequest string `json:"lastHandledSyncRequest,omitempty"`
	// lastHandledPruneApproval is the last dr-syncer.io/allow-prune value acted on.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	LastHandledPruneApproval string `json:"lastHandledPruneApproval,omitempty"`
	// lastDrill is the result of the last dr-syncer drill of the DR namespace, written by the
	// command line when the controller's cluster answers.
	// +optional
	LastDrill *DrillResult `json:"lastDrill,omitempty"`
	// lastSuccessfulDrill is the last drill in which every workload came up: a failed drill
	// replaces lastDrill but not this, so "no successful drill for 30 days" can be alerted on.
	// +optional
	LastSuccessfulDrill *DrillResult `json:"lastSuccessfulDrill,omitempty"`
}

// DrillResult is the outcome of one dr-syncer drill.
type DrillResult struct {
	// time is when the drill started.
	// +required
	Time metav1.Time `json:"time"`
	// rtoSeconds is how long the drill took from its start until every workload was ready (or
	// until it gave up), in whole seconds rounded up.
	// +required
	// +kubebuilder:validation:Minimum=0
	RTOSeconds int64 `json:"rtoSeconds"`
	// ready tells whether every workload came up within the drill's timeout.
	// +required
	Ready bool `json:"ready"`
}

// NamespaceMapping replicates one namespace of a source cluster into a destination (DR) cluster.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=nsmap,categories=dr-syncer
// +kubebuilder:printcolumn:name="Source",type=string,JSONPath=`.spec.sourceNamespace`
// +kubebuilder:printcolumn:name="Destination",type=string,JSONPath=`.spec.destinationCluster`
// +kubebuilder:printcolumn:name="Mode",type=string,JSONPath=`.spec.replicationMode`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Last Sync",type=date,JSONPath=`.status.lastSyncTime`
// +kubebuilder:printcolumn:name="RPO",type=date,priority=1,description="age of the last successful sync: the recovery point",JSONPath=`.status.lastSuccessfulSyncTime`
// +kubebuilder:printcolumn:name="Live Since",type=date,priority=1,description="since when cutover has had the DR namespace live",JSONPath=`.status.liveSince`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="Message",type=string,priority=1,JSONPath=`.status.conditions[?(@.type=="Ready")].message`
type NamespaceMapping struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec NamespaceMappingSpec `json:"spec"`
	// +optional
	Status NamespaceMappingStatus `json:"status,omitempty"`
}

// NamespaceMappingList is a list of NamespaceMappings.
// +kubebuilder:object:root=true
type NamespaceMappingList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []NamespaceMapping `json:"items"`
}
