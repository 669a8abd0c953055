package engine

import "strings"

// Apply phases: what other objects reference goes first, so the destination's own controllers
// (when it is brought live) and admission find their dependencies.
const (
	phaseConfig = iota
	phaseServices
	phaseWorkloads
	phaseEdges
	phaseOther
	phaseCustom
	numPhases
)

var phaseOf = map[string]int{
	"serviceaccounts": phaseConfig, "roles.rbac.authorization.k8s.io": phaseConfig,
	"rolebindings.rbac.authorization.k8s.io": phaseConfig, "configmaps": phaseConfig, "secrets": phaseConfig,
	"persistentvolumeclaims": phaseConfig, "resourcequotas": phaseConfig, "limitranges": phaseConfig,
	"networkpolicies.networking.k8s.io": phaseConfig,
	"services":                          phaseServices,
	"deployments.apps":                  phaseWorkloads, "statefulsets.apps": phaseWorkloads, "daemonsets.apps": phaseWorkloads,
	"cronjobs.batch": phaseWorkloads, "jobs.batch": phaseWorkloads, "replicationcontrollers": phaseWorkloads,
	"ingresses.networking.k8s.io": phaseEdges, "horizontalpodautoscalers.autoscaling": phaseEdges,
	"poddisruptionbudgets.policy": phaseEdges,
}

// phase orders a type; custom resources (any group outside Kubernetes' own) come last.
func phase(t Type) int {
	if p, ok := phaseOf[t.String()]; ok {
		return p
	}
	if isBuiltinGroup(t.GVR.Group) {
		return phaseOther
	}
	return phaseCustom
}

func isBuiltinGroup(g string) bool {
	return g == "" || !strings.Contains(g, ".") || strings.HasSuffix(g, ".k8s.io")
}

// Phase is the apply phase of a type: a sync writes the types of a lower phase first (what
// others reference, then Services, workloads, edges, custom resources). The drill creates its
// copies in the same order.
func Phase(t Type) int { return phase(t) }
