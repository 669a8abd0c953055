// Package version holds the dr-syncer version, set at build time with -ldflags.
package version

// Version is overwritten by the Makefile's -ldflags; "dev" for plain go builds.
var Version = "dev"
