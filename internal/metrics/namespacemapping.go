package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Mapping metrics. The "mapping" label is namespace/name of the NamespaceMapping.
var (
	syncRuns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "drsyncer_sync_runs_total",
		Help: "Full syncs run, by mapping, replication mode and result (success, partial, error).",
	}, []string{"mapping", "mode", "result"})
	syncDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "drsyncer_sync_duration_seconds",
		Help:    "Duration of full syncs.",
		Buckets: prometheus.ExponentialBuckets(0.05, 2, 14),
	}, []string{"mapping"})
	objectsApplied = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "drsyncer_objects_applied_total",
		Help: "Destination objects handled, by mapping, kind and action (created, updated, unchanged, deleted, conflict, failed).",
	}, []string{"mapping", "kind", "action"})
	lastSuccess = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "drsyncer_namespacemapping_last_success_timestamp_seconds",
		Help: "Unix time of the last sync without failures: the recovery point. Alert on time() minus this.",
	}, []string{"mapping"})
	mappingReady = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "drsyncer_namespacemapping_ready",
		Help: "1 when the mapping's Ready condition is True, else 0.",
	}, []string{"mapping"})
	scheduleInterval = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "drsyncer_namespacemapping_schedule_interval_seconds",
		Help: "Expected seconds between syncs (cron interval, or the resync interval in Continuous mode); RPO alerts multiply it.",
	}, []string{"mapping"})
	driftCorrections = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "drsyncer_drift_corrections_total",
		Help: "Hand edits in the destination that a sync reverted.",
	}, []string{"mapping"})
	mappingLive = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "drsyncer_namespacemapping_live",
		Help: "1 while the mapping's DR namespace is live, or a cutover paused the mapping, else 0; alerts on readiness and RPO exclude such mappings.",
	}, []string{"mapping"})
	pruneBlocked = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "drsyncer_prune_blocked",
		Help: "1 while the delete guard holds back a prune for the mapping.",
	}, []string{"mapping"})
	lastDrillTime = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "drsyncer_namespacemapping_last_drill_timestamp_seconds",
		Help: "Unix time when the last dr-syncer drill of the mapping's DR namespace started (status.lastDrill); absent before the first.",
	}, []string{"mapping"})
	lastDrillRTO = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "drsyncer_namespacemapping_last_drill_rto_seconds",
		Help: "Seconds from the start of the last drill until every workload was ready (until it gave up, when not ready).",
	}, []string{"mapping"})
	lastDrillReady = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "drsyncer_namespacemapping_last_drill_ready",
		Help: "1 when every workload came up in the last drill, else 0.",
	}, []string{"mapping"})
	lastSuccessfulDrillTime = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "drsyncer_namespacemapping_last_successful_drill_timestamp_seconds",
		Help: "Unix time when the last drill in which every workload came up started (status.lastSuccessfulDrill); absent before the first.",
	}, []string{"mapping"})
	propagationLag = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "drsyncer_propagation_lag_seconds",
		Help:    "Continuous mode: time from a source change being seen to its write in the destination.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"mapping"})
)

func init() {
	ctrlmetrics.Registry.MustRegister(syncRuns, syncDuration, objectsApplied, lastSuccess, mappingReady,
		scheduleInterval, driftCorrections, pruneBlocked, propagationLag, mappingLive, lastDrillTime, lastDrillRTO, lastDrillReady, lastSuccessfulDrillTime)
}

// SyncRun records one full sync.
func SyncRun(mapping, mode, result string, d time.Duration) {
	syncRuns.WithLabelValues(mapping, mode, result).Inc()
	syncDuration.WithLabelValues(mapping).Observe(d.Seconds())
}

// ObjectsApplied adds n objects of a kind handled with an action.
func ObjectsApplied(mapping, kind, action string, n int) {
	if n > 0 {
		objectsApplied.WithLabelValues(mapping, kind, action).Add(float64(n))
	}
}

// LastSuccess sets the recovery point of a mapping.
func LastSuccess(mapping string, t time.Time) {
	lastSuccess.WithLabelValues(mapping).Set(float64(t.Unix()))
}

// MappingReady sets the ready gauge.
func MappingReady(mapping string, ready bool) { mappingReady.WithLabelValues(mapping).Set(b2f(ready)) }

// MappingLive sets the live gauge.
func MappingLive(mapping string, live bool) { mappingLive.WithLabelValues(mapping).Set(b2f(live)) }

// ScheduleInterval sets the expected interval between syncs; 0 (Manual) removes the series.
func ScheduleInterval(mapping string, d time.Duration) {
	if d <= 0 {
		scheduleInterval.DeleteLabelValues(mapping)
		return
	}
	scheduleInterval.WithLabelValues(mapping).Set(d.Seconds())
}

// DriftCorrected counts reverted hand edits.
func DriftCorrected(mapping string, n int) {
	if n > 0 {
		driftCorrections.WithLabelValues(mapping).Add(float64(n))
	}
}

// PruneBlocked sets the delete guard gauge.
func PruneBlocked(mapping string, blocked bool) {
	pruneBlocked.WithLabelValues(mapping).Set(b2f(blocked))
}

// LastDrill exports the last drill of a mapping (status.lastDrill).
func LastDrill(mapping string, start time.Time, rtoSeconds int64, ready bool) {
	lastDrillTime.WithLabelValues(mapping).Set(float64(start.Unix()))
	lastDrillRTO.WithLabelValues(mapping).Set(float64(rtoSeconds))
	lastDrillReady.WithLabelValues(mapping).Set(b2f(ready))
}

// LastSuccessfulDrill exports when the last drill in which everything came up started
// (status.lastSuccessfulDrill).
func LastSuccessfulDrill(mapping string, start time.Time) {
	lastSuccessfulDrillTime.WithLabelValues(mapping).Set(float64(start.Unix()))
}

// PropagationLag observes one continuous-mode replication.
func PropagationLag(mapping string, d time.Duration) {
	propagationLag.WithLabelValues(mapping).Observe(d.Seconds())
}

// ForgetMapping removes every series of a deleted mapping.
func ForgetMapping(mapping string) {
	l := prometheus.Labels{"mapping": mapping}
	for _, v := range []interface{ DeletePartialMatch(prometheus.Labels) int }{
		syncRuns, syncDuration, objectsApplied, lastSuccess, mappingReady, scheduleInterval,
		driftCorrections, pruneBlocked, propagationLag, mappingLive, lastDrillTime, lastDrillRTO, lastDrillReady, lastSuccessfulDrillTime,
	} {
		v.DeletePartialMatch(l)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
