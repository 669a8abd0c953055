package v1alpha1

import "time"

// Effective values of optional fields. The API server applies the schema defaults; these cover
// objects built in code (the CLI, tests) where no defaulting ran.

// DestNamespace is the namespace written in the destination cluster.
func (s *NamespaceMappingSpec) DestNamespace() string {
	if s.DestinationNamespace != "" {
		return s.DestinationNamespace
	}
	return s.SourceNamespace
}

// Mode is the replication mode, Scheduled when unset.
func (s *NamespaceMappingSpec) Mode() ReplicationMode {
	if s.ReplicationMode == "" {
		return ModeScheduled
	}
	return s.ReplicationMode
}

// CronSchedule is the schedule, DefaultSchedule when unset.
func (s *NamespaceMappingSpec) CronSchedule() string {
	if s.Schedule == "" {
		return DefaultSchedule
	}
	return s.Schedule
}

// ScaleDown tells whether workloads are parked at zero replicas.
func (s *NamespaceMappingSpec) ScaleDown() bool { return boolOr(s.ScaleToZero, true) }

// PruneEnabled tells whether stale copies are deleted.
func (s *NamespaceMappingSpec) PruneEnabled() bool { return boolOr(s.Prune.Enabled, true) }

// PruneMaxDeletePercent is the delete guard's threshold.
func (s *NamespaceMappingSpec) PruneMaxDeletePercent() int32 {
	if s.Prune.MaxDeletePercent == nil {
		return 50
	}
	return *s.Prune.MaxDeletePercent
}

// CreateNamespaceOrDefault tells whether a missing destination namespace is created.
func (c NamespaceConfig) CreateNamespaceOrDefault() bool { return boolOr(c.CreateNamespace, true) }

// CopyLabelsOrDefault tells whether namespace labels are copied.
func (c NamespaceConfig) CopyLabelsOrDefault() bool { return boolOr(c.CopyLabels, true) }

// CopyAnnotationsOrDefault tells whether namespace annotations are copied.
func (c NamespaceConfig) CopyAnnotationsOrDefault() bool { return boolOr(c.CopyAnnotations, true) }

func boolOr(b *bool, def bool) bool {
	if b == nil {
		return def
	}
	return *b
}

// ResyncEvery is the Continuous mode full-resync interval, 10m when unset.
func (s *NamespaceMappingSpec) ResyncEvery() time.Duration {
	if s.Continuous.ResyncInterval == nil || s.Continuous.ResyncInterval.Duration <= 0 {
		return 10 * time.Minute
	}
	return s.Continuous.ResyncInterval.Duration
}

// ProbeInterval is the health check interval, 1m when unset.
func (s *RemoteClusterSpec) ProbeInterval() time.Duration {
	if s.HealthCheckInterval == nil || s.HealthCheckInterval.Duration <= 0 {
		return time.Minute
	}
	return s.HealthCheckInterval.Duration
}
