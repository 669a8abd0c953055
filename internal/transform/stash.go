package transform

// StashSecretType is the type of the Secrets that hold the objects of a stashed kind in the DR
// namespace until cutover.
const StashSecretType = "dr-syncer.io/stash"
