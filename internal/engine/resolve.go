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

// Resolution is the outcome of resolving a mapping's resourceTypes.
type Resolution struct {
	Types []Type
	// Unresolved lists entries no served type matches.
	Unresolved []string
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
		for _, t := range match(all, name) {
			delete(selected, t)
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

func hasVerbs(r metav1.APIResource, verbs ...string) bool {
	for _, v := range verbs {
		if !slices.Contains(r.Verbs, v) {
			return false
		}
	}
	return true
}
