package transform

import (
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// Activate returns a copy of a DR object with its parked state undone from the recorded
// annotations (replicas from original-replicas, at original-replicas-path for a custom
// resource; CronJob suspend from original-suspend, DaemonSet nodeSelector from
// original-node-selector), and changed=false when nothing to do. A Job whose source had finished
// (annotation source-finished) is never resumed.
// The annotation stays, so a second Activate is a no-op. A garbled annotation is an error; a
// missing one, or a kind that is never parked, means nothing to do.
func Activate(obj *unstructured.Unstructured) (out *unstructured.Unstructured, changed bool, err error) {
	if obj == nil {
		return nil, false, errNilObject
	}
	out = obj.DeepCopy()
	p, err := parkingOf(obj)
	if err != nil || p == nil {
		return out, false, err
	}
	annotations, err := stringMap(out, "metadata", "annotations")
	if err != nil {
		return nil, false, err
	}
	want, ok := annotations[p.annotation]
	if !ok {
		return out, false, nil
	}
	if _, finished := annotations[drv1.AnnotationSourceFinished]; finished && groupKind(obj) == gkJob {
		return out, false, nil // it ran to its end at the source: running it again in DR repeats it
	}
	before, err := p.read(out)
	if err != nil {
		return nil, false, objectError(obj, err)
	}
	if err := p.write(out, want); err != nil {
		return nil, false, objectError(obj, err)
	}
	// Compare canonical forms: "03" restores what "3" already is.
	after, err := p.read(out)
	if err != nil {
		return nil, false, objectError(obj, err)
	}
	if after == before {
		return obj.DeepCopy(), false, nil
	}
	return out, true, nil
}

// Park is the reverse for a DR object that is live: records originals, sets replicas 0 / suspend
// true / parking nodeSelector / KEDA's pause annotation; a Job that has finished is left alone,
// and a custom resource with a scale subresource is parked only when it carries
// original-replicas-path. An object already parked is left alone, so its annotation keeps the
// value from before it was parked and a second Park is a no-op.
func Park(obj *unstructured.Unstructured) (out *unstructured.Unstructured, changed bool, err error) {
	if obj == nil {
		return nil, false, errNilObject
	}
	out = obj.DeepCopy()
	p, err := parkingOf(obj)
	if err != nil || p == nil {
		return out, false, err
	}
	live, err := p.read(out)
	if err != nil {
		return nil, false, objectError(obj, err)
	}
	if live == p.parked || (groupKind(obj) == gkJob && jobFinished(obj) != "") {
		return out, false, nil // a finished Job runs nothing: suspending it changes nothing
	}
	if err := p.park(out); err != nil {
		return nil, false, err
	}
	return out, true, nil
}

// ParkedSummary says how a DR object is held back until cutover, for plans and reports:
// "parked: spec.replicas=0 (source: 3)", "parked: /spec/paused (originals recorded)",
// "stashed: Kind.group/name ..." for a stash Secret; "" when it is not held back (a kind never
// parked, or a scale-override that keeps the source count).
func ParkedSummary(obj *unstructured.Unstructured) string {
	if IsStash(obj) {
		return "stashed: " + obj.GetAnnotations()[drv1.AnnotationStashed] + " is held in this Secret until cutover"
	}
	p, err := parkingOf(obj)
	if err != nil || p == nil {
		return ""
	}
	recorded, ok := obj.GetAnnotations()[p.annotation]
	if !ok {
		return ""
	}
	if live, err := p.read(obj); err != nil || live != p.parked {
		return ""
	}
	if p.annotation == drv1.AnnotationOriginalFields {
		records, err := decodeRecords(recorded)
		if err != nil {
			return ""
		}
		paths := make([]string, len(records))
		for i, r := range records {
			paths[i] = r.Path
		}
		return "parked: " + strings.Join(paths, ", ") + " (originals recorded)"
	}
	if recorded == "" {
		recorded = "unset"
	}
	return "parked: " + strings.Join(p.field, ".") + "=" + p.parked + " (source: " + recorded + ")"
}
