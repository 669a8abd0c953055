package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// RemoteCluster metrics. The "cluster" label is the RemoteCluster's name (the controller serves
// one namespace).
var (
	remoteClusterReady = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "drsyncer_remotecluster_ready",
		Help: "1 when the RemoteCluster's Ready condition is True (last probe succeeded), else 0.",
	}, []string{"cluster"})
	remoteClusterProbeDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "drsyncer_remotecluster_probe_duration_seconds",
		Help:    "Duration of RemoteCluster health probes (GET /version and /readyz), failed ones included.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"cluster"})
)

func init() {
	ctrlmetrics.Registry.MustRegister(remoteClusterReady, remoteClusterProbeDuration)
}

// RemoteClusterReady sets the ready gauge of a RemoteCluster.
func RemoteClusterReady(cluster string, ready bool) {
	remoteClusterReady.WithLabelValues(cluster).Set(b2f(ready))
}

// ObserveRemoteClusterProbe records the duration of one probe.
func ObserveRemoteClusterProbe(cluster string, d time.Duration) {
	remoteClusterProbeDuration.WithLabelValues(cluster).Observe(d.Seconds())
}

// ForgetRemoteCluster removes every series of a deleted RemoteCluster.
func ForgetRemoteCluster(cluster string) {
	remoteClusterReady.DeleteLabelValues(cluster)
	remoteClusterProbeDuration.DeleteLabelValues(cluster)
}
