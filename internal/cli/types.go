package cli

import (
	"fmt"
	"strings"

	"github.com/dr-syncer/dr-syncer/internal/cluster"
	"github.com/dr-syncer/dr-syncer/internal/engine"
	"github.com/dr-syncer/dr-syncer/internal/ops"
)

// checkResourceTypes fails when an entry of --resource-types or --exclude-resource-types (or
// of the mapping's spec) names no type the source cluster serves: a typo would otherwise sync
// nothing of the type and report "no changes". The error names the closest served name.
func checkResourceTypes(s *ops.Scope) error { return checkResourceTypesOn(s, s.Source) }

// checkResourceTypesOn is checkResourceTypes against the types h serves.
func checkResourceTypesOn(s *ops.Scope, h *cluster.Handle) error {
	res, err := engine.ResolveTypes(h.Discovery, s.Sync.ResourceTypes, s.Sync.ExcludeResourceTypes)
	if err != nil {
		return fmt.Errorf("cluster %s: %w", h.Name, err)
	}
	role := "source"
	if h != s.Source {
		role = "DR"
	}
	include, exclude := "--resource-types", "--exclude-resource-types"
	if s.Controller != nil {
		include, exclude = "spec.resourceTypes", "spec.excludeResourceTypes"
	}
	var problems []string
	for _, u := range []struct {
		field   string
		entries []string
	}{{include, res.Unresolved}, {exclude, res.UnresolvedExclude}} {
		for _, name := range u.entries {
			p := fmt.Sprintf("%s %q: the %s cluster serves no namespaced type of that name", u.field, name, role)
			if c := res.Closest[name]; c != "" {
				p += fmt.Sprintf("; did you mean %q?", c)
			}
			problems = append(problems, p)
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("%s (kubectl api-resources --namespaced lists the served types)", strings.Join(problems, "; "))
}
