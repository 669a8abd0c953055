package engine

import (
	"context"
	"encoding/json"
	"strings"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/transform"
)

// item is one planned destination write.
type item struct {
	t       Type
	desired *unstructured.Unstructured
	live    *unstructured.Unstructured
	action  ActionType
	drift   bool
	// adopt: the live object is not the mapping's yet; the gate lets this write take it over.
	adopt bool
	msg   string
}

// plan compares a desired object with the live destination object and decides what to do.
// Unchanged objects cost no request when the applied cache knows them or dr-syncer's field set
// and values on the live object confirm them (confirmedUnchanged); otherwise one dry-run apply
// confirms there is nothing to do.
func (r *run) plan(ctx context.Context, t Type, desired, live *unstructured.Unstructured) item {
	it := item{t: t, desired: desired, live: live}
	if live == nil {
		it.action = ActionCreate
		return it
	}
	if !Owns(live, r.req.Transform.MappingID) {
		adopt := r.req.ConflictPolicy == drv1.ConflictAdopt
		if msg := conflictMessage(live, r.req.Transform.MappingID, adopt); msg != "" {
			it.action, it.msg = ActionConflict, msg
			return it
		}
		it.action, it.adopt, it.msg = ActionUpdate, true, "adopted"
		return it
	}
	if isPVC(t) {
		reconciled, err := transform.ReconcilePVC(desired, live)
		if err != nil {
			it.action, it.msg = ActionFailed, err.Error()
			return it
		}
		// Keep the hash of the source-derived object: only a source change should count.
		setAnnotation(reconciled, AnnotationDesiredHash, desired.GetAnnotations()[AnnotationDesiredHash])
		it.desired = reconciled
	}
	if live.GetAnnotations()[AnnotationDesiredHash] != desired.GetAnnotations()[AnnotationDesiredHash] {
		it.action = ActionUpdate
		return it
	}
	if ownedFieldSet(live) == nil {
		// managedFields stripped by hand: nothing proves the live object holds only what the
		// source has, and a later source change would leave dropped fields. Apply to own it again.
		it.action, it.drift, it.msg = ActionUpdate, true, "dr-syncer's managedFields were removed; applied again"
		return it
	}
	if isSecret(t) && !sameSecretData(desired, live) {
		// Secret data is not in the hash (see desiredHash). A hand edit moved the edited keys out
		// of dr-syncer's field set; a source change did not.
		it.action = ActionUpdate
		if owned, ok := r.req.Applied.get(live.GetUID()); ok {
			it.drift = owned != ownedFieldsHash(live)
		} else {
			it.drift = secretKeysTaken(it.desired, live)
		}
		return it
	}
	if owned, ok := r.req.Applied.get(live.GetUID()); ok {
		if owned == ownedFieldsHash(live) {
			it.action = ActionUnchanged
		} else {
			it.action, it.drift = ActionUpdate, true
		}
		return it
	}
	// Not applied by this process yet (e.g. after a restart): dr-syncer's field set and the values
	// on the live object settle most objects without a request; the rest ask the server what an
	// apply would do.
	if confirmedUnchanged(it.desired, live) {
		it.action = ActionUnchanged
		r.req.Applied.put(live)
		return it
	}
	out, err := r.apply(ctx, t, it.desired, live, false, true)
	if err != nil {
		it.action, it.msg = ActionUpdate, ""
		return it
	}
	// Content decides here: a hand edit of an owned field shows as a different value.
	if sameContent(out, live) {
		it.action = ActionUnchanged
		r.req.Applied.put(live)
		return it
	}
	// The write stage applies desired again (a dry run under plan, whose result the diff shows):
	// out carries managedFields and cannot be applied itself.
	it.action, it.drift = ActionUpdate, true
	return it
}

// sameContent compares two versions of one object, ignoring what every write changes.
func sameContent(a, b *unstructured.Unstructured) bool {
	strip := func(u *unstructured.Unstructured) map[string]any {
		c := u.DeepCopy()
		unstructured.RemoveNestedField(c.Object, "metadata", "resourceVersion")
		unstructured.RemoveNestedField(c.Object, "metadata", "managedFields")
		unstructured.RemoveNestedField(c.Object, "metadata", "generation")
		unstructured.RemoveNestedField(c.Object, "status")
		return c.Object
	}
	return equality.Semantic.DeepEqual(strip(a), strip(b))
}

func isPVC(t Type) bool { return t.GVR.Group == "" && t.GVR.Resource == "persistentvolumeclaims" }

func isSecret(t Type) bool { return t.GVR.Group == "" && t.GVR.Resource == "secrets" }

func isSecretObject(u *unstructured.Unstructured) bool {
	gvk := u.GroupVersionKind()
	return gvk.Group == "" && gvk.Kind == "Secret"
}

// sameSecretData tells whether live holds desired's Secret values: every desired key with the
// same value, and no other key that dr-syncer owns (one dropped from the source since). Keys
// someone else added in DR are not dr-syncer's: its apply neither removes nor rewrites them, so
// they must not make every sync an update.
func sameSecretData(desired, live *unstructured.Unstructured) bool {
	owned := ownedSecretKeys(live)
	for _, field := range []string{"data", "stringData"} {
		dv, _, _ := unstructured.NestedFieldNoCopy(desired.Object, field)
		lv, _, _ := unstructured.NestedFieldNoCopy(live.Object, field)
		dm, _ := dv.(map[string]any)
		lm, _ := lv.(map[string]any)
		for k, v := range dm {
			if w, ok := lm[k]; !ok || !equality.Semantic.DeepEqual(v, w) {
				return false
			}
		}
		for k := range lm {
			if _, ok := dm[k]; !ok && owned[field+"/"+k] {
				return false
			}
		}
	}
	return true
}

// secretKeysTaken tells whether a key desired sets is on live but no longer in dr-syncer's field
// set: a hand edit took it over (a key the source added is not on live yet).
func secretKeysTaken(desired, live *unstructured.Unstructured) bool {
	owned := ownedSecretKeys(live)
	for _, field := range []string{"data", "stringData"} {
		dm, _, _ := unstructured.NestedMap(desired.Object, field)
		lm, _, _ := unstructured.NestedMap(live.Object, field)
		for k := range dm {
			if _, onLive := lm[k]; onLive && !owned[field+"/"+k] {
				return true
			}
		}
	}
	return false
}

// ownedSecretKeys lists the data and stringData keys ("data/<key>") in dr-syncer's field sets.
func ownedSecretKeys(live *unstructured.Unstructured) map[string]bool {
	out := map[string]bool{}
	for _, mf := range live.GetManagedFields() {
		if mf.Manager != drv1.FieldManager || mf.Subresource != "" || mf.FieldsV1 == nil {
			continue
		}
		var fields map[string]map[string]any
		if json.Unmarshal(mf.FieldsV1.Raw, &fields) != nil {
			continue
		}
		for _, field := range []string{"data", "stringData"} {
			for k := range fields["f:"+field] {
				if key, ok := strings.CutPrefix(k, "f:"); ok {
					out[field+"/"+key] = true
				}
			}
		}
	}
	return out
}
