// Package chart tests the Helm chart in charts/dr-syncer: it renders the chart with the Helm SDK,
// lints it, and applies the result to a real control plane to check it is accepted and least-privileged.
package chart
