package main

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"testing"

	"github.com/dr-syncer/dr-syncer/internal/version"
)

// TestDistImage inspects the image of a real `make release` (dist/, skipped when absent): every
// linux architecture is in the index, its layer holds exactly the released static binary for that
// architecture, and the binary for this machine runs and reports the release's version.
func TestDistImage(t *testing.T) {
	dist := filepath.Join(root, "dist")
	matches, _ := filepath.Glob(filepath.Join(dist, "dr-syncer_*_image.oci.tar"))
	if len(matches) != 1 {
		t.Skip("no dist/ from make release")
	}
	lp := untar(t, matches[0])
	idx, err := lp.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	top, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	tag := top.Manifests[0].Annotations["org.opencontainers.image.ref.name"]
	multi, err := idx.ImageIndex(top.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	im, err := multi.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	machines := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}
	seen := map[string]bool{}
	for _, d := range im.Manifests {
		arch := d.Platform.Architecture
		seen[arch] = true
		img, err := multi.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		cf, _ := img.ConfigFile()
		if cf.Architecture != arch || cf.Config.Labels["org.opencontainers.image.version"] != tag {
			t.Errorf("%s: config arch %s, version label %q, tag %q", arch, cf.Architecture, cf.Config.Labels["org.opencontainers.image.version"], tag)
		}
		layers, _ := img.Layers()
		var bin []byte
		for _, l := range layers {
			rc, err := l.Uncompressed()
			if err != nil {
				t.Fatal(err)
			}
			eachTarEntry(t, rc, func(h *tar.Header, r io.Reader) {
				if h.Name == "dr-syncer" {
					bin, _ = io.ReadAll(r)
				}
			})
			rc.Close()
		}
		released, err := os.ReadFile(filepath.Join(dist, "dr-syncer-linux-"+arch))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(bin, released) {
			t.Errorf("%s: the image's /dr-syncer is not dist/dr-syncer-linux-%s", arch, arch)
		}
		f, err := elf.NewFile(bytes.NewReader(bin))
		if err != nil {
			t.Fatalf("%s: %v", arch, err)
		}
		if f.Machine != machines[arch] {
			t.Errorf("%s: binary is for %s", arch, f.Machine)
		}
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				t.Errorf("%s: not static", arch)
			}
		}
		if arch == runtime.GOARCH && runtime.GOOS == "linux" {
			exe := filepath.Join(t.TempDir(), "dr-syncer")
			if err := os.WriteFile(exe, bin, 0o755); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(exe, "version", "-o", "json").Output()
			if err != nil {
				t.Fatal(err)
			}
			var v version.Info
			if err := json.Unmarshal(out, &v); err != nil || v.Version != tag {
				t.Errorf("image binary reports %s (%v), want %s", out, err, tag)
			}
		}
	}
	if !seen["amd64"] || !seen["arm64"] || len(im.Manifests) != 2 {
		t.Errorf("image index platforms %v, want linux/amd64 and linux/arm64", seen)
	}
}

// TestBuildMetadataVersionGivesInstallableChart: -version accepts SemVer build metadata
// (v1.2.3+build.1), but "+" is valid neither in an image tag nor in a label value
// (app.kubernetes.io/version is the image tag): such a release would be uninstallable.
func TestBuildMetadataVersionGivesInstallableChart(t *testing.T) {
	m := testMeta
	m.Version = "v1.2.3+build.1"
	if err := m.parse("2026-01-02T03:04:05Z"); err != nil {
		return // rejected up front: fine
	}
	if !imageTag.MatchString(m.Version) {
		t.Errorf("-version %q is accepted but is not a valid image tag (the chart's appVersion and the image's ref.name)", m.Version)
	}
}

// imageTag is the OCI distribution spec's tag grammar.
var imageTag = regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$`)
