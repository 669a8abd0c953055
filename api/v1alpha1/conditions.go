package v1alpha1

// Condition types, in the kstatus style.
const (
	// ConditionReady is True when the object does what its spec asks.
	ConditionReady = "Ready"
	// ConditionReconciling is True while a sync is in progress.
	ConditionReconciling = "Reconciling"
	// ConditionStalled is True when the spec cannot work until a person changes it.
	ConditionStalled = "Stalled"
	// ConditionPruneBlocked is True when the delete guard held back a prune.
	ConditionPruneBlocked = "PruneBlocked"
)

// RemoteCluster condition reasons.
const (
	ReasonConnected          = "Connected"
	ReasonSecretNotFound     = "SecretNotFound"
	ReasonKeyNotFound        = "KeyNotFound"
	ReasonInvalidKubeconfig  = "InvalidKubeconfig"
	ReasonKubeconfigRejected = "KubeconfigRejected"
	ReasonUnreachable        = "Unreachable"
	ReasonUnauthorized       = "Unauthorized"
)

// NamespaceMapping condition reasons.
const (
	ReasonSucceeded          = "Succeeded"
	ReasonPartiallySucceeded = "PartiallySucceeded"
	ReasonSyncFailed         = "SyncFailed"
	ReasonProgressing        = "Progressing"
	ReasonPaused             = "Paused"
	ReasonInvalidSpec        = "InvalidSpec"
	// ReasonSameClusterAndNamespace: source and destination are one namespace of one cluster
	// (same cluster ID), whatever the RemoteClusters are called; nothing is written.
	ReasonSameClusterAndNamespace = "SameClusterAndNamespace"
	ReasonClusterNotReady         = "ClusterNotReady"
	ReasonSourceNamespaceNotFound = "SourceNamespaceNotFound"
	ReasonDestinationLive         = "DestinationLive"
	ReasonWaitingForSchedule      = "WaitingForSchedule"
	ReasonWaitingForTrigger       = "WaitingForTrigger"
	ReasonDeleteThreshold         = "DeleteThresholdExceeded"
	ReasonPruneAllowed            = "PruneAllowed"
)

// ParkingRule condition reasons.
const (
	// ReasonRuleInForce: the rule parks its kind for every NamespaceMapping of its namespace.
	ReasonRuleInForce = "InForce"
	// ReasonDuplicateRule: an older rule of the namespace parks the same kind; this one is ignored.
	ReasonDuplicateRule = "DuplicateRule"
)
