package cli

import (
	"fmt"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/dr-syncer/dr-syncer/internal/engine"
)

// diffContext is the number of unchanged lines around each change, as in diff -u.
const diffContext = 3

// lastApplied holds a whole copy of the object, Secret values included.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// objectDiff renders a planned create, update or delete as a unified diff between the live DR
// object and what the DR API server would store (its dry-run answer), like kubectl diff. Secret
// values are masked. Other actions have no diff.
func objectDiff(a engine.Action) (string, error) {
	var live, planned *unstructured.Unstructured
	switch a.Type {
	case engine.ActionCreate:
		planned = a.Desired
	case engine.ActionUpdate:
		live, planned = a.Live, a.Desired
	case engine.ActionDelete:
		live = a.Live
	default:
		return "", nil
	}
	if live == nil && planned == nil {
		return "", nil
	}
	live, planned = comparable(live), comparable(planned)
	if a.GVK.Group == "" && a.GVK.Kind == "Secret" {
		maskSecret(live, planned)
	}
	from, err := toYAML(live)
	if err != nil {
		return "", err
	}
	to, err := toYAML(planned)
	if err != nil {
		return "", err
	}
	// Named like kubectl diff's files: group.version.Kind.namespace.name.
	obj := planned
	if obj == nil {
		obj = live
	}
	parts := []string{strings.ReplaceAll(a.GVK.GroupVersion().String(), "/", "."), a.GVK.Kind}
	if ns := obj.GetNamespace(); ns != "" {
		parts = append(parts, ns)
	}
	path := strings.Join(append(parts, a.Name), ".")
	return difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: splitLines(from), B: splitLines(to),
		FromFile: "live/" + path, ToFile: "planned/" + path, Context: diffContext,
	})
}

// comparable drops what every write changes and nobody reads in a diff.
func comparable(u *unstructured.Unstructured) *unstructured.Unstructured {
	if u == nil {
		return nil
	}
	c := u.DeepCopy()
	for _, f := range []string{"managedFields", "resourceVersion", "generation", "uid", "creationTimestamp"} {
		unstructured.RemoveNestedField(c.Object, "metadata", f)
	}
	unstructured.RemoveNestedField(c.Object, "status")
	return c
}

func toYAML(u *unstructured.Unstructured) (string, error) {
	if u == nil {
		return "", nil
	}
	b, err := yaml.Marshal(u.Object)
	return string(b), err
}

// maskedAnnotations are the annotations of a Secret shown as "***": a last-applied-configuration
// holds the data, and no digest of a Secret is printed, whatever it covers.
var maskedAnnotations = map[string]bool{lastApplied: true, engine.AnnotationDesiredHash: true}

// maskSecret replaces every value of data and stringData (and of maskedAnnotations) by "***",
// marking values that differ between the two sides with "(before)" and "(after)", as kubectl
// diff does.
func maskSecret(live, planned *unstructured.Unstructured) {
	for _, field := range [][]string{{"data"}, {"stringData"}, {"metadata", "annotations"}} {
		a, b := stringMap(live, field), stringMap(planned, field)
		for k := range a {
			if field[0] == "metadata" && !maskedAnnotations[k] {
				continue
			}
			av, bv := a[k], b[k]
			_, inB := b[k]
			switch {
			case inB && av == bv:
				a[k], b[k] = "***", "***"
			case inB:
				a[k], b[k] = "*** (before)", "*** (after)"
			default:
				a[k] = "***"
			}
		}
		for k := range b {
			if field[0] == "metadata" && !maskedAnnotations[k] {
				continue
			}
			if _, inA := a[k]; !inA {
				b[k] = "***"
			}
		}
		setStringMap(live, a, field)
		setStringMap(planned, b, field)
	}
}

func stringMap(u *unstructured.Unstructured, field []string) map[string]string {
	if u == nil {
		return map[string]string{}
	}
	raw, _, _ := unstructured.NestedMap(u.Object, field...)
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		out[k] = fmt.Sprint(v)
	}
	return out
}

func setStringMap(u *unstructured.Unstructured, m map[string]string, field []string) {
	if u == nil || len(m) == 0 {
		return
	}
	_ = unstructured.SetNestedStringMap(u.Object, m, field...)
}

// splitLines splits text into lines that keep their newline; no text is no lines.
func splitLines(text string) []string {
	lines := strings.SplitAfter(text, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	} else {
		lines[len(lines)-1] += "\n"
	}
	return lines
}
