package engine

import (
	"bytes"
	"maps"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
	"sigs.k8s.io/structured-merge-diff/v6/typed"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// deducedConverter types any object without a schema: maps field by field, lists as atomic
// values. The API server's own field sets split keyed lists further, which ownsAll allows for.
// (The built-in types' real schema would cost some 20 MB of allocations to parse; the value
// check makes it unnecessary.)
var deducedConverter = managedfields.NewDeducedTypeConverter()

// identityFields are in every desired object but never in a managedFields entry.
var identityFields = []fieldpath.Path{
	fieldpath.MakePathOrDie("apiVersion"),
	fieldpath.MakePathOrDie("kind"),
	fieldpath.MakePathOrDie("metadata", "name"),
	fieldpath.MakePathOrDie("metadata", "namespace"),
}

// confirmedUnchanged tells, without a request, that applying desired would change nothing dr-syncer
// cares about on live (whose desired-hash annotation already matches): every field of desired is
// still in dr-syncer's field set on live (a hand edit with another manager moves the edited field
// out of it), and live holds desired's values there (server defaults added inside are allowed).
// false means "not sure": the caller confirms with a dry-run apply, as before.
func confirmedUnchanged(desired, live *unstructured.Unstructured) bool {
	if _, ok := ownsDesired(desired, live); !ok {
		return false
	}
	// Values keep desired's empty maps and nulls: an emptyDir: {} swapped by hand for another
	// volume source leaves every other value of the volume in place, and a null (kept by a
	// custom resource that preserves unknown fields) set by hand is a change too.
	want := maps.Clone(desired.Object)
	if md, ok := want["metadata"].(map[string]any); ok {
		want["metadata"] = maps.Clone(md)
	}
	for _, p := range identityFields {
		unstructured.RemoveNestedField(want, pathNames(p)...)
	}
	return holds(live.Object, want)
}

// ownsDesired tells whether every field desired sets is in dr-syncer's field set on live, and
// returns desired without what sets no field (nulls, empty maps).
func ownsDesired(desired, live *unstructured.Unstructured) (*unstructured.Unstructured, bool) {
	owned := ownedFieldSet(live)
	if owned == nil {
		return nil, false
	}
	// A null or an empty map in the desired object sets nothing (e.g. metadata.creationTimestamp).
	d := &unstructured.Unstructured{Object: dropNulls(desired.Object)}
	want, ok := desiredFieldSet(d)
	return d, ok && ownsAll(owned, want, d.Object)
}

// dropNulls copies a map without its null values and empty maps, at every depth: neither sets a
// field (a create records no ownership of them).
func dropNulls(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		switch t := v.(type) {
		case nil:
			continue
		case map[string]any:
			if c := dropNulls(t); len(c) > 0 {
				out[k] = c
			}
		case []any:
			l := make([]any, len(t))
			for i, e := range t {
				if em, ok := e.(map[string]any); ok {
					l[i] = dropNulls(em)
				} else {
					l[i] = e
				}
			}
			out[k] = l
		default:
			out[k] = v
		}
	}
	return out
}

// ownedFieldSet is the union of dr-syncer's field sets on obj (its apply entry, and the update
// entry a create leaves until the first apply); nil when it has none or one does not parse.
func ownedFieldSet(obj *unstructured.Unstructured) *fieldpath.Set {
	var out *fieldpath.Set
	for _, mf := range obj.GetManagedFields() {
		if mf.Manager != drv1.FieldManager || mf.Subresource != "" || mf.FieldsV1 == nil {
			continue
		}
		s := &fieldpath.Set{}
		if err := s.FromJSON(bytes.NewReader(mf.FieldsV1.Raw)); err != nil {
			return nil
		}
		if out == nil {
			out = s
		} else {
			out = out.Union(s)
		}
	}
	return out
}

// desiredFieldSet is the set of leaf fields desired sets, without the identity fields.
func desiredFieldSet(desired *unstructured.Unstructured) (*fieldpath.Set, bool) {
	tv, err := deducedConverter.ObjectToTyped(desired, typed.AllowDuplicates)
	if err != nil {
		return nil, false
	}
	set, err := tv.ToFieldSet()
	if err != nil {
		return nil, false
	}
	return set.Leaves().Difference(fieldpath.NewSet(identityFields...)), true
}

// ownsAll tells whether every path of want is owned: a member of owned, a prefix of owned
// members (a list the deduced schema keeps atomic that the server's schema splits by key), or
// below an owned member the server's schema keeps atomic (a label selector). An
// empty or zero value outside lists need not be owned: a create does not always record one as
// set (e.g. a StatefulSet's serviceName ""), and the value check still compares it.
func ownsAll(owned, want *fieldpath.Set, obj map[string]any) bool {
	ok := true
	want.Iterate(func(p fieldpath.Path) {
		if ok && !owned.Has(p) && !hasUnder(owned, p) && !atomicAbove(owned, p) && !zeroAt(obj, p) {
			ok = false
		}
	})
	return ok
}

// zeroAt tells whether the field at p (field names only) holds "", 0, false or an empty list.
func zeroAt(obj map[string]any, p fieldpath.Path) bool {
	names := pathNames(p)
	if len(names) != len(p) {
		return false
	}
	v, found, err := unstructured.NestedFieldNoCopy(obj, names...)
	if !found || err != nil {
		return false
	}
	switch t := v.(type) {
	case string:
		return t == ""
	case bool:
		return !t
	case int64:
		return t == 0
	case float64:
		return t == 0
	case []any:
		return len(t) == 0
	}
	return false
}

// atomicAbove tells whether a proper prefix of p is a member of s with nothing owned below it: a
// field the server's schema treats as one value.
func atomicAbove(s *fieldpath.Set, p fieldpath.Path) bool {
	for i := 0; i < len(p)-1; i++ {
		child, hasChildren := s.Children.Get(p[i])
		if s.Members.Has(p[i]) && (!hasChildren || child.Empty()) {
			return true
		}
		if !hasChildren {
			return false
		}
		s = child
	}
	return false
}

// hasUnder tells whether s has members below path p.
func hasUnder(s *fieldpath.Set, p fieldpath.Path) bool {
	for _, pe := range p {
		var ok bool
		if s, ok = s.Children.Get(pe); !ok {
			return false
		}
	}
	return !s.Empty()
}

// pathNames turns a path of field names into the keys unstructured helpers take.
func pathNames(p fieldpath.Path) []string {
	out := make([]string, 0, len(p))
	for _, pe := range p {
		if pe.FieldName != nil {
			out = append(out, *pe.FieldName)
		}
	}
	return out
}

// holds tells whether live carries want: every key of a map with a value live holds, lists of the
// same length holding want's items in order, equal scalars. Keys only live has (server defaults,
// other managers' fields) do not count: dr-syncer's apply leaves them as they are.
func holds(live, want any) bool {
	switch w := want.(type) {
	case map[string]any:
		l, ok := live.(map[string]any)
		if !ok {
			return false
		}
		for k, wv := range w {
			lv, ok := l[k]
			if wv == nil {
				if lv != nil {
					return false // a null is absent or null on live
				}
				continue
			}
			if !ok || !holds(lv, wv) {
				return false
			}
		}
		return true
	case []any:
		l, ok := live.([]any)
		if !ok || len(l) != len(w) {
			return false
		}
		for i := range w {
			if !holds(l[i], w[i]) {
				return false
			}
		}
		return true
	case int64:
		switch l := live.(type) {
		case int64:
			return l == w
		case float64:
			return l == float64(w)
		}
		return false
	case float64:
		switch l := live.(type) {
		case int64:
			return float64(l) == w
		case float64:
			return l == w
		}
		return false
	default:
		return equality.Semantic.DeepEqual(live, want)
	}
}
