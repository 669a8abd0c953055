package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// AnnotationDesiredHash on a destination object is the hash of what dr-syncer last applied, so a
// source change is seen without comparing objects field by field.
const AnnotationDesiredHash = "dr-syncer.io/desired-hash"

// AppliedCache remembers, per destination object UID, the field set dr-syncer owned after its
// last apply. A hand edit of an owned field moves that field to another manager, so the live
// field set differs and the edit is found without any request.
type AppliedCache struct {
	m sync.Map // types.UID -> string (hash of our managedFields entry)
}

// NewAppliedCache returns an empty cache.
func NewAppliedCache() *AppliedCache { return &AppliedCache{} }

func (c *AppliedCache) get(uid types.UID) (string, bool) {
	if c == nil {
		return "", false
	}
	v, ok := c.m.Load(uid)
	if !ok {
		return "", false
	}
	return v.(string), true
}

func (c *AppliedCache) put(obj *unstructured.Unstructured) {
	if c == nil || obj == nil {
		return
	}
	if h := ownedFieldsHash(obj); h != "" {
		c.m.Store(obj.GetUID(), h)
	}
}

// Forget drops one object, e.g. after it was deleted.
func (c *AppliedCache) Forget(uid types.UID) {
	if c != nil {
		c.m.Delete(uid)
	}
}

// ownedFieldsHash hashes the field sets dr-syncer owns on obj (its apply entry, and the update
// entry a create leaves until the first apply); "" when it owns none.
func ownedFieldsHash(obj *unstructured.Unstructured) string {
	h := sha256.New()
	found := false
	for _, mf := range obj.GetManagedFields() {
		if mf.Manager == drv1.FieldManager && mf.Subresource == "" && mf.FieldsV1 != nil {
			found = true
			h.Write([]byte(mf.Operation))
			h.Write(mf.FieldsV1.Raw)
		}
	}
	if !found {
		return ""
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// desiredHash hashes a desired object (map keys marshal sorted, so it is stable). A Secret is
// hashed without its data: the hash is stored on the DR copy, where it would let anyone who sees
// the annotation confirm a guess of the data. plan compares Secret data value by value instead.
func desiredHash(obj *unstructured.Unstructured) (string, error) {
	content := obj.Object
	if isSecretObject(obj) {
		content = maps.Clone(obj.Object)
		delete(content, "data")
		delete(content, "stringData")
	}
	data, err := json.Marshal(content)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:12]), nil
}
