package v1alpha1

// Labels and annotations dr-syncer reads or writes. They are part of the public contract.
const (
	// GroupPrefix starts every label and annotation key of dr-syncer's. Keys with it on a source
	// namespace are never copied to the DR namespace.
	GroupPrefix = "dr-syncer.io/"
	// LabelMapping marks an object in the destination cluster as written by dr-syncer; its value
	// identifies the NamespaceMapping (see MappingID). Pruning only ever touches objects with it.
	LabelMapping = "dr-syncer.io/mapping"
	// LabelDrillOf marks a scratch namespace that dr-syncer drill created in the DR cluster, and
	// every object the drill copied into it; its value is the DR namespace the drill copied.
	// A drill deletes only a namespace with this label and that value.
	LabelDrillOf = "dr-syncer.io/drill-of"
	// LabelIgnore on a source object ("true") keeps it out of every sync.
	LabelIgnore = "dr-syncer.io/ignore"
	// LabelScaleOverride on a source workload: "true" keeps the source replica count in DR,
	// an integer sets that count.
	LabelScaleOverride = "dr-syncer.io/scale-override"

	// AnnotationSource names the source object of a destination copy: cluster/namespace/name.
	AnnotationSource = "dr-syncer.io/source"
	// AnnotationSourceUID is the UID of the source object a destination copy was made from.
	AnnotationSourceUID = "dr-syncer.io/source-uid"
	// AnnotationOriginalReplicas records the source replica count of a parked workload.
	AnnotationOriginalReplicas = "dr-syncer.io/original-replicas"
	// AnnotationOriginalReplicasPath records, on a parked custom resource, the specReplicasPath of
	// its CRD's scale subresource (".spec.replicas"): where AnnotationOriginalReplicas goes back.
	AnnotationOriginalReplicasPath = "dr-syncer.io/original-replicas-path"
	// AnnotationOriginalSuspend records the source spec.suspend of a CronJob or Job parked in DR.
	AnnotationOriginalSuspend = "dr-syncer.io/original-suspend"
	// AnnotationOriginalPaused records the autoscaling.keda.sh/paused annotation of a parked KEDA
	// ScaledObject or ScaledJob ("" when it had none, which cutover removes again).
	AnnotationOriginalPaused = "dr-syncer.io/original-paused"
	// AnnotationOriginalRunStrategy records how a parked KubeVirt VirtualMachine ran:
	// "runStrategy=<strategy>", "running=<true|false>", or "" when it set neither.
	AnnotationOriginalRunStrategy = "dr-syncer.io/original-run-strategy"
	// AnnotationOriginalHibernation records the cnpg.io/hibernation annotation of a parked
	// CloudNativePG Cluster ("" when it had none, which cutover removes again).
	AnnotationOriginalHibernation = "dr-syncer.io/original-hibernation"
	// AnnotationOriginalFields records, on an object parked by a ParkingRule, every field the
	// rule changed: a JSON list of {"path": <JSON pointer>, "parked": <value set>, "original":
	// <value before>} or, for a field that was not set, "absent": true. Cutover and failback read
	// it alone, with no rule.
	AnnotationOriginalFields = "dr-syncer.io/original-fields"
	// AnnotationStashed on a stash Secret (type dr-syncer.io/stash) names the object it holds
	// until cutover: Kind.group/name.
	AnnotationStashed = "dr-syncer.io/stashed"
	// AnnotationSourceFinished on a DR Job records that the source Job had finished when it was
	// last synced: "Complete" or "Failed". Cutover never resumes such a Job.
	AnnotationSourceFinished = "dr-syncer.io/source-finished"
	// AnnotationOriginalNodeSelector records the source nodeSelector (JSON) of a parked DaemonSet.
	AnnotationOriginalNodeSelector = "dr-syncer.io/original-node-selector"
	// AnnotationLiveSince on a destination namespace records when cutover brought it live
	// (RFC 3339). While it is set, no sync writes into the namespace (it would park the live
	// workloads again); failback removes it.
	AnnotationLiveSince = "dr-syncer.io/live-since"
	// AnnotationPausedBeforeCutover on a NamespaceMapping records its spec.paused ("true" or
	// "false") from before a cutover paused it; failback restores that value and removes it.
	AnnotationPausedBeforeCutover = "dr-syncer.io/paused-before-cutover"
	// AnnotationSyncNow requests a sync: every new value triggers exactly one run.
	AnnotationSyncNow = "dr-syncer.io/sync-now"
	// AnnotationAllowPrune with a new value releases one prune that the delete guard blocked.
	AnnotationAllowPrune = "dr-syncer.io/allow-prune"

	// FieldManager is the one server-side apply field manager dr-syncer writes with.
	FieldManager = "dr-syncer"
	// Finalizer guards NamespaceMappings whose deletionPolicy is Delete.
	Finalizer = "dr-syncer.io/cleanup"
)
