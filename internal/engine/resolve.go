package engine

import (
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
)

// Type is one resolved resource type.
type Type struct {
	GVR schema.GroupVersionResource
	GVK schema.GroupVersionKind
}

func (t Type) String() string {
	if t.GVR.Group == "" {
		return t.GVR.Resource
	}
	return t.GVR.Resource + "." + t.GVR.Group
}

// neverSync are types a wildcard never selects: runtime state the destination's own controllers
// or API server create, and request-only kinds. Keys are resource.group.
var neverSync = map[string]bool{
	"pods": true, "replicasets.apps": true, "endpoints": true,
	"endpointslices.discovery.k8s.io": true, "events": true, "events.events.k8s.io": true,
	"controllerrevisions.apps": true, "leases.coordination.k8s.io": true, "jobs.batch": true,
	"bindings": true, "csistoragecapacities.storage.k8s.io": true,
	"localsubjectaccessreviews.authorization.k8s.io": true, "selfsubjectaccessreviews.authorization.k8s.io": true,
	"tokenreviews.authentication.k8s.io": true, "selfsubjectreviews.authentication.k8s.io": true,
	"serviceaccounts/token": true,
}

// NeverSynced tells whether a wildcard leaves the type out: no copy of it is ever written by a
// "*" mapping (one that names it may still copy it, as for ReplicaSets and Jobs).
func NeverSynced(t Type) bool { return neverSync[t.String()] }

// Resolution is the outcome of resolving a mapping's resourceTypes.
type Resolution struct {
	Types []Type
	// Unresolved lists include entries no served type matches, UnresolvedExclude exclude entries.
	Unresolved, UnresolvedExclude []string
	// Closest maps each unresolved entry to the served name nearest to it by edit distance
	// (a Kind, plural or plural.group), when one is near enough to be a likely typo.
	Closest map[string]string
	// Incomplete is set when discovery of some API groups failed: their types are missing
	// from Types, so nothing of them may be pruned.
	Incomplete error
}

// ResolveTypes resolves include/exclude entries (Kind, plural or group-qualified, any case, "*")
// against the preferred versions the cluster serves.
func ResolveTypes(dc discovery.DiscoveryInterface, include, exclude []string) (*Resolution, error) {
	lists, err := discovery.ServerPreferredNamespacedResources(dc)
	res := &Resolution{}
	if err != nil {
		if !discovery.IsGroupDiscoveryFailedError(err) || len(lists) == 0 {
			return nil, fmt.Errorf("discovering resource types: %w", err)
		}
		res.Incomplete = err
	}
	var all []Type
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			continue
		}
		for _, r := range l.APIResources {
			if strings.Contains(r.Name, "/") || !r.Namespaced || !hasVerbs(r, "list", "create", "get") {
				continue
			}
			all = append(all, Type{GVR: gv.WithResource(r.Name), GVK: gv.WithKind(r.Kind)})
		}
	}
	slices.SortFunc(all, func(a, b Type) int { return strings.Compare(a.String(), b.String()) })

	if len(include) == 0 {
		include = []string{"*"}
	}
	selected := map[Type]bool{}
	for _, name := range include {
		if name == "*" {
			for _, t := range all {
				if !neverSync[t.String()] {
					selected[t] = true
				}
			}
			continue
		}
		matched := match(all, name)
		if len(matched) == 0 {
			res.Unresolved = append(res.Unresolved, name)
		}
		for _, t := range matched {
			selected[t] = true
		}
	}
	for _, name := range exclude {
		matched := match(all, name)
		if len(matched) == 0 {
			res.UnresolvedExclude = append(res.UnresolvedExclude, name)
		}
		for _, t := range matched {
			delete(selected, t)
		}
	}
	for _, name := range slices.Concat(res.Unresolved, res.UnresolvedExclude) {
		if c := closest(all, name); c != "" {
			if res.Closest == nil {
				res.Closest = map[string]string{}
			}
			res.Closest[name] = c
		}
	}
	for _, t := range all {
		if selected[t] {
			res.Types = append(res.Types, t)
		}
	}
	return res, nil
}

// match finds the types an entry names: Kind, plural or singular, optionally qualified by group.
func match(all []Type, name string) []Type {
	name = strings.ToLower(strings.TrimSpace(name))
	var out []Type
	for _, t := range all {
		kind, plural, group := strings.ToLower(t.GVK.Kind), t.GVR.Resource, t.GVR.Group
		for _, n := range []string{kind, plural} {
			if name == n || (group != "" && name == n+"."+group) {
				out = append(out, t)
				break
			}
		}
	}
	// A bare name served by several groups (e.g. "events"): the core group wins.
	if len(out) > 1 && !strings.Contains(name, ".") {
		for _, t := range out {
			if t.GVR.Group == "" {
				return []Type{t}
			}
		}
	}
	return out
}

// closest returns the served Kind, plural or plural.group nearest to name by edit distance
// (ignoring case), or "" when none is within a third of the name's length (at least 2).
func closest(all []Type, name string) string {
	want := strings.ToLower(strings.TrimSpace(name))
	best, bestDist := "", max(2, len(want)/3)+1
	for _, t := range all {
		for _, cand := range []string{t.GVK.Kind, t.GVR.Resource, t.String()} {
			if d := editDistance(want, strings.ToLower(cand)); d < bestDist {
				best, bestDist = cand, d
			}
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func hasVerbs(r metav1.APIResource, verbs ...string) bool {
	for _, v := range verbs {
		if !slices.Contains(r.Verbs, v) {
			return false
		}
	}
	return true
}
