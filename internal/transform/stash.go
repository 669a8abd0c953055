package transform

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// A stashed kind (ParkingRule stash: true) has no copy in the DR namespace while it is a
// standby: each object is held in a Secret there, which no controller acts on and which only who
// may read Secrets can read (the object may be a Secret itself). Cutover creates the objects
// from the Secrets; failback stashes the live objects again and removes them.
const (
	// StashSecretType is the type of the Secrets that hold stashed objects.
	StashSecretType = "dr-syncer.io/stash"
	// StashDataKey holds the stashed object, as JSON.
	StashDataKey = "object"
	// stashNamePrefix starts the name of every stash Secret.
	stashNamePrefix = "dr-syncer-stash-"
)

// StashName is the name of the Secret that stashes the object name of kind gk: a hash, since
// kind, group and name together may be longer than a name may be.
func StashName(gk schema.GroupKind, name string) string {
	sum := sha256.Sum256([]byte(gk.Group + "/" + gk.Kind + "/" + name))
	return stashNamePrefix + hex.EncodeToString(sum[:])[:20]
}

// Stashed tells whether opts stash the kind of obj.
func Stashed(gk schema.GroupKind, opts Options) bool {
	r, ok := opts.Rules[gk]
	return ok && r.Stash
}

// ToStash returns the stash Secret of a source object of a stashed kind: the object as DR runs
// it at cutover (the standby transforms without any parking), inside a Secret that carries the
// mapping's label and the source annotations, so ownership, pruning and the gate treat it as
// the mapping's copy.
func ToStash(obj *unstructured.Unstructured, opts Options) (*unstructured.Unstructured, error) {
	if obj == nil {
		return nil, errNilObject
	}
	out := obj.DeepCopy()
	if err := toDestinationMeta(out, opts); err != nil {
		return nil, err
	}
	if err := toDestinationContent(out, obj, opts); err != nil {
		return nil, err
	}
	return stashSecret(out, opts.DestNamespace)
}

// StashLive returns the stash Secret of a live DR object (failback): its metadata as dr-syncer
// wrote it, without what the DR API server set.
func StashLive(live *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	if live == nil {
		return nil, errNilObject
	}
	out := live.DeepCopy()
	for _, f := range serverMetadata {
		unstructured.RemoveNestedField(out.Object, "metadata", f)
	}
	delete(out.Object, "status")
	return stashSecret(out, live.GetNamespace())
}

func stashSecret(obj *unstructured.Unstructured, namespace string) (*unstructured.Unstructured, error) {
	data, err := json.Marshal(obj.Object)
	if err != nil {
		return nil, objectError(obj, err)
	}
	gk := groupKind(obj)
	s := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Secret", "type": StashSecretType,
		"data": map[string]any{StashDataKey: base64.StdEncoding.EncodeToString(data)},
	}}
	s.SetName(StashName(gk, obj.GetName()))
	s.SetNamespace(namespace)
	// The object's labels (with the mapping's), so that selectors pick the stash as they pick
	// the object.
	s.SetLabels(obj.GetLabels())
	annotations := map[string]string{drv1.AnnotationStashed: stashedRef(obj)}
	for _, k := range []string{drv1.AnnotationSource, drv1.AnnotationSourceUID} {
		if v, ok := obj.GetAnnotations()[k]; ok {
			annotations[k] = v
		}
	}
	s.SetAnnotations(annotations)
	return s, nil
}

// stashedRef names a stashed object for people: "KafkaCluster.kafka.example.com/events".
func stashedRef(obj *unstructured.Unstructured) string {
	gk := groupKind(obj)
	if gk.Group == "" {
		return gk.Kind + "/" + obj.GetName()
	}
	return gk.Kind + "." + gk.Group + "/" + obj.GetName()
}

// IsStash tells whether obj is a stash Secret.
func IsStash(obj *unstructured.Unstructured) bool {
	if groupKind(obj) != gkSecret {
		return false
	}
	t, _, _ := unstructured.NestedString(obj.Object, "type")
	return t == StashSecretType
}

// Unstash returns the object a stash Secret holds, in the Secret's namespace; an object that
// is not a namespaced object of the Secret's name and mapping is an error (a stash edited by
// hand is not trusted further than that).
func Unstash(secret *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	if !IsStash(secret) {
		return nil, objectError(secret, fmt.Errorf("not a Secret of type %s", StashSecretType))
	}
	encoded, _, err := unstructured.NestedString(secret.Object, "data", StashDataKey)
	if err != nil {
		return nil, objectError(secret, err)
	}
	raw, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return nil, objectError(secret, fmt.Errorf("data.%s: %w", StashDataKey, err))
	}
	obj := &unstructured.Unstructured{}
	if err := obj.UnmarshalJSON(raw); err != nil {
		return nil, objectError(secret, fmt.Errorf("data.%s: %w", StashDataKey, err))
	}
	if StashName(groupKind(obj), obj.GetName()) != secret.GetName() {
		return nil, objectError(secret, fmt.Errorf("holds %s, whose stash has another name", stashedRef(obj)))
	}
	if obj.GetLabels()[drv1.LabelMapping] != secret.GetLabels()[drv1.LabelMapping] {
		return nil, objectError(secret, fmt.Errorf("holds %s of another mapping", stashedRef(obj)))
	}
	obj.SetNamespace(secret.GetNamespace())
	return obj, nil
}
