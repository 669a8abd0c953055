package version

import (
	"runtime"
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
