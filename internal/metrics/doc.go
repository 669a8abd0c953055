// Package metrics defines dr-syncer's Prometheus metrics, registered in controller-runtime's registry.
package metrics
