// Package parkingrule decides which ParkingRules are in force in a namespace, for the
// NamespaceMappings there (controller and CLI alike), and reports it on each rule's status.
package parkingrule

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/go-openapi/jsonpointer"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/transform"
)

// Verdict is what one rule amounts to.
type Verdict struct {
	// InForce is true when the rule parks its kind; otherwise Reason and Message say why not.
	InForce         bool
	Reason, Message string
}

// InForce lists the ParkingRules of namespace and returns those in force, by kind.
func InForce(ctx context.Context, c client.Reader, namespace string) (map[schema.GroupKind]*transform.Rule, error) {
	list := &drv1.ParkingRuleList{}
	if err := c.List(ctx, list, client.InNamespace(namespace)); err != nil {
		return nil, fmt.Errorf("listing the ParkingRules of namespace %s: %w", namespace, err)
	}
	rules, _ := Evaluate(list.Items)
	return rules, nil
}

// Evaluate decides every rule of one namespace: a rule whose spec does not convert is not in
// force; of several rules for one kind, the oldest (then the first by name) is, the others not.
func Evaluate(items []drv1.ParkingRule) (map[schema.GroupKind]*transform.Rule, map[string]Verdict) {
	sorted := slices.Clone(items)
	slices.SortStableFunc(sorted, func(a, b drv1.ParkingRule) int {
		if c := a.CreationTimestamp.Compare(b.CreationTimestamp.Time); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	rules := map[schema.GroupKind]*transform.Rule{}
	owner := map[schema.GroupKind]string{}
	verdicts := map[string]Verdict{}
	for i := range sorted {
		pr := &sorted[i]
		gk := schema.GroupKind{Group: pr.Spec.Group, Kind: pr.Spec.Kind}
		if other, taken := owner[gk]; taken {
			verdicts[pr.Name] = Verdict{Reason: drv1.ReasonDuplicateRule, Message: fmt.Sprintf(
				"ParkingRule %s already parks %s (it is older); this rule is ignored: delete one of the two", other, kindName(gk))}
			continue
		}
		r, err := transform.RuleFromSpec(pr.Namespace+"/"+pr.Name, &pr.Spec)
		if err != nil {
			verdicts[pr.Name] = Verdict{Reason: drv1.ReasonInvalidSpec, Message: err.Error()}
			continue
		}
		owner[gk] = pr.Name
		rules[gk] = r
		verdicts[pr.Name] = Verdict{InForce: true, Reason: drv1.ReasonRuleInForce, Message: describe(pr, gk)}
	}
	return rules, verdicts
}

func kindName(gk schema.GroupKind) string {
	if gk.Group == "" {
		return gk.Kind
	}
	return gk.Kind + "." + gk.Group
}

// describe says what a rule in force does, for its Ready condition.
func describe(pr *drv1.ParkingRule, gk schema.GroupKind) string {
	what := "parks " + kindName(gk)
	if pr.Spec.Stash {
		what = "stashes " + kindName(gk) + ": its objects are held in Secrets of type " + transform.StashSecretType + " until cutover"
	} else {
		var parts []string
		for _, f := range pr.Spec.Fields {
			parts = append(parts, f.Path+"="+string(f.ParkedValue.Raw))
		}
		keys := make([]string, 0, len(pr.Spec.Annotations))
		for k := range pr.Spec.Annotations {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			parts = append(parts, "annotation "+k+"="+pr.Spec.Annotations[k])
		}
		what += " by " + strings.Join(parts, ", ")
	}
	what += ", in every NamespaceMapping of namespace " + pr.Namespace
	path, value, builtin := transform.BuiltinParking(gk)
	switch {
	case !builtin:
		return what + "; it replaces the parking at the scale subresource's replicas path, if the kind's CRD declares one"
	case pr.Spec.Stash || setsPath(pr, path):
		return what + "; it replaces dr-syncer's built-in parking of the kind"
	}
	// The rule leaves the field dr-syncer would park alone: say so, the kind may run in DR.
	return fmt.Sprintf("%s; the built-in parking of %s (%s=%s) is not applied: unless this rule stops them, its objects run in DR",
		what, kindName(gk), path, value)
}

// setsPath tells whether a rule sets the field at the JSON pointer path (or an object around it).
func setsPath(pr *drv1.ParkingRule, path string) bool {
	for _, f := range pr.Spec.Fields {
		if f.Path == path || strings.HasPrefix(path, f.Path+"/") {
			return true
		}
	}
	for k := range pr.Spec.Annotations {
		if "/metadata/annotations/"+jsonpointer.Escape(k) == path {
			return true
		}
	}
	return false
}
