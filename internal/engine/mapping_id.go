package engine

import (
	"crypto/sha256"
	"encoding/hex"
)

// MappingID is the value of the dr-syncer.io/mapping label for a NamespaceMapping: its
// namespace and name, shortened with a hash suffix to fit a label value (63 characters).
func MappingID(namespace, name string) string {
	id := namespace + "." + name
	if len(id) <= 63 {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return id[:54] + "-" + hex.EncodeToString(sum[:4])
}
