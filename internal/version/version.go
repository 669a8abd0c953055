// Package version holds what the dr-syncer binary was built from: the release version, the
// commit and the build date, set at build time with -ldflags, and the Go version it was built with.
package version

import (
	"runtime"
	"runtime/debug"
)

// Set by `make build` and `make release` through -ldflags "-X .../internal/version.Version=...".
var (
	// Version is the release version (v0.1.0), or "dev" for a plain go build.
	Version = "dev"
	// Commit is the git commit the binary was built from; empty means read it from the Go build
	// information (go build stamps it when it runs in a git checkout).
	Commit = ""
	// Date is the build date, RFC 3339 in UTC; empty means the commit time from the Go build
	// information.
	Date = ""
)

// Info is the version of this binary, as `dr-syncer version -o json` prints it.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	BuildDate string `json:"buildDate"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

// Get returns the version of this binary. Values not set with -ldflags come from the Go build
// information, and are "unknown" when that has none either.
func Get() Info {
	info := Info{
		Version:   Version,
		Commit:    Commit,
		BuildDate: Date,
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		info = fromBuildInfo(info, bi)
	}
	if info.Commit == "" {
		info.Commit = "unknown"
	}
	if info.BuildDate == "" {
		info.BuildDate = "unknown"
	}
	return info
}

// fromBuildInfo fills what -ldflags left unset from the Go build information: the module version
// (`go install github.com/dr-syncer/dr-syncer/cmd/dr-syncer@v0.1.0` stamps it, and no VCS data;
// since Go 1.24 a go build in a git checkout stamps a pseudo-version), and the commit and its time
// (a go build in a git checkout stamps them).
func fromBuildInfo(info Info, bi *debug.BuildInfo) Info {
	if info.Version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		info.Version = bi.Main.Version
	}
	modified := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			if info.Commit == "" {
				info.Commit = s.Value
			}
		case "vcs.time":
			if info.BuildDate == "" {
				info.BuildDate = s.Value
			}
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if modified && Commit == "" && info.Commit != "" {
		info.Commit += "-dirty"
	}
	return info
}
