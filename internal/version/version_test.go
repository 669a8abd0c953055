package version

import (
	"runtime"
	"runtime/debug"
	"testing"
)

func TestGetPrefersStampedValues(t *testing.T) {
	defer func(v, c, d string) { Version, Commit, Date = v, c, d }(Version, Commit, Date)
	Version, Commit, Date = "v1.2.3", "abc123", "2026-01-02T03:04:05Z"
	want := Info{
		Version: "v1.2.3", Commit: "abc123", BuildDate: "2026-01-02T03:04:05Z",
		GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH,
	}
	if got := Get(); got != want {
		t.Errorf("Get() = %+v, want %+v", got, want)
	}
}

func TestGetNeverReturnsEmptyFields(t *testing.T) {
	defer func(c, d string) { Commit, Date = c, d }(Commit, Date)
	Commit, Date = "", ""
	// A test binary carries no VCS stamp: the commit and date fall back to "unknown".
	got := Get()
	if got.Commit == "" || got.BuildDate == "" || got.Version == "" {
		t.Errorf("Get() = %+v, want every field set", got)
	}
}

// TestGoInstallReportsTheModuleVersion: `go install .../cmd/dr-syncer@v0.1.0` sets no -ldflags
// and no VCS data, only the module version; `dr-syncer version` must not say "dev" then.
func TestGoInstallReportsTheModuleVersion(t *testing.T) {
	base := Info{Version: "dev"}
	got := fromBuildInfo(base, &debug.BuildInfo{Main: debug.Module{Version: "v0.1.0"}})
	if got.Version != "v0.1.0" {
		t.Errorf("go install @v0.1.0: version %q, want v0.1.0", got.Version)
	}
	if got := fromBuildInfo(base, &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}); got.Version != "dev" {
		t.Errorf("no module version: version %q, want dev", got.Version)
	}
	stamped := fromBuildInfo(Info{Version: "v0.2.0"}, &debug.BuildInfo{Main: debug.Module{Version: "v0.1.0"}})
	if stamped.Version != "v0.2.0" {
		t.Errorf("-ldflags version overridden by the module's: %q", stamped.Version)
	}
}
