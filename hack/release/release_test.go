package main

import (
	"archive/tar"
	"context"
	"debug/buildinfo"
	"debug/elf"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	appsv1 "k8s.io/api/apps/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"

	"github.com/dr-syncer/dr-syncer/internal/version"
)

// root is the module's root folder, from this package.
const root = "../.."

var testMeta = meta{
	Version:         "v9.8.7-rc.1",
	Commit:          "0123456789abcdef0123456789abcdef01234567",
	Date:            time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	Repository:      "https://github.com/dr-syncer/dr-syncer",
	ImageRepository: "ghcr.io/dr-syncer/dr-syncer",
}

// TestReleaseArtefacts builds the release's pieces for this machine's architecture: dr-syncer
// stamped as `make release` stamps it reports that version; a binary built the release's way is
// static; the image built from it (a tiny stand-in, so that this test stays fast: the release
// builds the real binary for four platforms with the same function) runs it as non-root with the
// OCI labels; and the packaged chart's image is the image's tag.
func TestReleaseArtefacts(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	p := platform{OS: "linux", Arch: runtime.GOARCH}

	t.Run("version", func(t *testing.T) {
		// A host build (it shares the build cache with the other suites): only the link differs.
		bin := filepath.Join(dir, "dr-syncer")
		if err := goBuild(ctx, root, mainPkg, bin, ldflags(testMeta), nil); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(bin, "version", "-o", "json").Output()
		if err != nil {
			t.Fatalf("dr-syncer version -o json: %v", err)
		}
		var got version.Info
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("%v in %s", err, out)
		}
		want := version.Info{
			Version: testMeta.Version, Commit: testMeta.Commit, BuildDate: "2026-01-02T03:04:05Z",
			GoVersion: runtime.Version(), Platform: p.String(),
		}
		if got != want {
			t.Errorf("version = %+v\nwant      %+v", got, want)
		}

		// The image has no CA bundle: the binary carries the fallback roots.
		bi, err := buildinfo.ReadFile(bin)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(bi.Deps, func(m *debug.Module) bool { return m.Path == "golang.org/x/crypto/x509roots/fallback" }) {
			t.Error("dr-syncer does not link golang.org/x/crypto/x509roots/fallback: it could not verify public certificates in a scratch image")
		}
	})

	bin := filepath.Join(dir, "tiny")
	start := time.Now()
	if err := buildBinary(ctx, root, "./hack/release/testdata/tiny", p, testMeta, bin); err != nil {
		t.Fatal(err)
	}
	t.Logf("static stand-in built in %s", time.Since(start).Round(time.Millisecond))

	t.Run("static", func(t *testing.T) {
		// No program interpreter and no shared libraries, so it runs in a scratch image.
		f, err := elf.Open(bin)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		libs, _ := f.ImportedLibraries()
		for _, prog := range f.Progs {
			if prog.Type == elf.PT_INTERP || prog.Type == elf.PT_DYNAMIC {
				t.Errorf("the binary has a %s segment (libraries %v); want a static binary (CGO_ENABLED=0)", prog.Type, libs)
			}
		}
		if len(libs) > 0 {
			t.Errorf("the binary needs %v", libs)
		}
	})

	t.Run("image", func(t *testing.T) {
		tarFile := filepath.Join(dir, "image.oci.tar")
		if err := writeImage(testMeta, map[string]string{runtime.GOARCH: bin}, filepath.Join(root, "LICENSE"), tarFile); err != nil {
			t.Fatal(err)
		}
		lp := untar(t, tarFile)
		idx, err := lp.ImageIndex()
		if err != nil {
			t.Fatal(err)
		}
		top, err := idx.IndexManifest()
		if err != nil {
			t.Fatal(err)
		}
		if len(top.Manifests) != 1 || top.Manifests[0].Annotations["org.opencontainers.image.ref.name"] != testMeta.Version {
			t.Fatalf("layout index = %+v, want one entry tagged %s", top.Manifests, testMeta.Version)
		}
		multi, err := idx.ImageIndex(top.Manifests[0].Digest)
		if err != nil {
			t.Fatal(err)
		}
		im, err := multi.IndexManifest()
		if err != nil {
			t.Fatal(err)
		}
		if im.MediaType != "application/vnd.oci.image.index.v1+json" || len(im.Manifests) != 1 {
			t.Fatalf("image index = %+v, want an OCI index with one image", im)
		}
		d := im.Manifests[0]
		if d.Platform == nil || d.Platform.OS != "linux" || d.Platform.Architecture != runtime.GOARCH {
			t.Errorf("platform = %+v, want linux/%s", d.Platform, runtime.GOARCH)
		}
		img, err := multi.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		c := cf.Config
		if strings.Join(c.Entrypoint, " ") != "/dr-syncer" || strings.Join(c.Cmd, " ") != "controller" {
			t.Errorf("entrypoint %q cmd %q, want /dr-syncer controller", c.Entrypoint, c.Cmd)
		}
		if c.User != "65532:65532" {
			t.Errorf("user = %q, want 65532:65532 (non-root)", c.User)
		}
		for k, want := range map[string]string{
			"org.opencontainers.image.version":  testMeta.Version,
			"org.opencontainers.image.revision": testMeta.Commit,
			"org.opencontainers.image.source":   testMeta.Repository,
			"org.opencontainers.image.licenses": "Apache-2.0",
		} {
			if c.Labels[k] != want {
				t.Errorf("label %s = %q, want %q", k, c.Labels[k], want)
			}
		}
		if cf.OS != "linux" || cf.Architecture != runtime.GOARCH || !cf.Created.Equal(testMeta.Date) {
			t.Errorf("config os/arch/created = %s/%s/%s", cf.OS, cf.Architecture, cf.Created)
		}
		files := layerFiles(t, img)
		if files["dr-syncer"] != 0o755 || files["etc/passwd"] == 0 || files["licenses/LICENSE"] == 0 {
			t.Errorf("image files = %v, want dr-syncer (0755), etc/passwd, licenses/LICENSE", files)
		}

		// Building again gives the same bytes: the release is reproducible from its commit.
		again := filepath.Join(dir, "again.oci.tar")
		if err := writeImage(testMeta, map[string]string{runtime.GOARCH: bin}, filepath.Join(root, "LICENSE"), again); err != nil {
			t.Fatal(err)
		}
		if a, b := mustSHA(t, tarFile), mustSHA(t, again); a != b {
			t.Errorf("two builds of the image differ: %s, %s", a, b)
		}
	})

	t.Run("chart", func(t *testing.T) {
		tgz, err := packageChart(filepath.Join(root, "charts", "dr-syncer"), testMeta, dir)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Base(tgz) != "dr-syncer-9.8.7-rc.1.tgz" {
			t.Errorf("chart package %s, want dr-syncer-9.8.7-rc.1.tgz", filepath.Base(tgz))
		}
		chrt, err := loader.Load(tgz)
		if err != nil {
			t.Fatal(err)
		}
		if chrt.Metadata.Version != "9.8.7-rc.1" || chrt.Metadata.AppVersion != testMeta.Version {
			t.Errorf("version %q appVersion %q, want 9.8.7-rc.1 and %s", chrt.Metadata.Version, chrt.Metadata.AppVersion, testMeta.Version)
		}
		install := action.NewInstall(&action.Configuration{Log: func(string, ...any) {}})
		install.ReleaseName, install.Namespace = "dr-syncer", "dr-syncer-system"
		install.DryRun, install.ClientOnly = true, true
		if install.KubeVersion, err = chartutil.ParseKubeVersion("v1.37.2"); err != nil {
			t.Fatal(err)
		}
		rel, err := install.Run(chrt, nil)
		if err != nil {
			t.Fatal(err)
		}
		var image string
		for _, doc := range strings.Split(rel.Manifest, "\n---\n") {
			if !strings.Contains(doc, "kind: Deployment") {
				continue
			}
			var d appsv1.Deployment
			if err := yaml.Unmarshal([]byte(doc), &d); err != nil {
				t.Fatal(err)
			}
			image = d.Spec.Template.Spec.Containers[0].Image
		}
		if want := testMeta.ImageRepository + ":" + testMeta.Version; image != want {
			t.Errorf("the packaged chart runs image %q, want %q (the image's tag)", image, want)
		}
	})
}

// TestKrewManifest checks the plugin manifest names each archive with its checksum.
func TestKrewManifest(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	var archives []archive
	for _, p := range platforms {
		a, err := writeArchive(dir, p, testMeta, bin, filepath.Join(root, "LICENSE"))
		if err != nil {
			t.Fatal(err)
		}
		archives = append(archives, a)
	}
	out := filepath.Join(dir, "dr-syncer.yaml")
	if err := writeKrewManifest(testMeta, archives, out); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var p krewPlugin
	if err := yaml.UnmarshalStrict(data, &p); err != nil {
		t.Fatal(err)
	}
	if p.Kind != "Plugin" || p.Metadata.Name != "dr-syncer" || p.Spec.Version != testMeta.Version || len(p.Spec.Platforms) != 4 {
		t.Fatalf("manifest = %s", data)
	}
	for i, kp := range p.Spec.Platforms {
		a := archives[i]
		name := filepath.Base(a.Path)
		if sum := mustSHA(t, a.Path); kp.SHA256 != sum || !strings.HasSuffix(kp.URI, "/"+testMeta.Version+"/"+name) {
			t.Errorf("%s: uri %s sha256 %s, want .../%s with %s", a.Platform, kp.URI, kp.SHA256, name, sum)
		}
		if kp.Selector.MatchLabels["os"] != a.Platform.OS || kp.Selector.MatchLabels["arch"] != a.Platform.Arch || kp.Bin != "dr-syncer" {
			t.Errorf("%s: selector %v bin %s", a.Platform, kp.Selector.MatchLabels, kp.Bin)
		}
	}
}

func TestVersionMustBeSemVer(t *testing.T) {
	for v, ok := range map[string]bool{"v0.1.0": true, "v1.2.3-rc.1": true, "0.1.0": false, "de03316-dirty": false, "v1.2": false, "v1.2.3+build.1": false} {
		m := meta{Version: v, Commit: "abc"}
		if err := m.parse("2026-01-02T03:04:05Z"); (err == nil) != ok {
			t.Errorf("version %q: err = %v, want ok=%v", v, err, ok)
		}
	}
}

// eachTarEntry calls fn for each entry of the tar stream r, with the reader at its content.
func eachTarEntry(t *testing.T, r io.Reader, fn func(h *tar.Header, content io.Reader)) {
	t.Helper()
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		fn(h, tr)
	}
}

// untar unpacks an OCI layout tarball and opens the layout.
func untar(t *testing.T, file string) layout.Path {
	t.Helper()
	dir := t.TempDir()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	eachTarEntry(t, f, func(h *tar.Header, content io.Reader) {
		path := filepath.Join(dir, filepath.FromSlash(h.Name))
		if h.Typeflag == tar.TypeDir {
			if err := os.MkdirAll(path, 0o755); err != nil {
				t.Fatal(err)
			}
			return
		}
		data, err := io.ReadAll(content)
		if err == nil {
			err = os.WriteFile(path, data, 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	})
	lp, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	return lp
}

// layerFiles returns the regular files of the image's layers with their modes.
func layerFiles(t *testing.T, img v1.Image) map[string]int64 {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]int64{}
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		eachTarEntry(t, rc, func(h *tar.Header, _ io.Reader) {
			if h.Typeflag == tar.TypeReg {
				files[h.Name] = h.Mode
			}
		})
		rc.Close()
	}
	return files
}

func mustSHA(t *testing.T, path string) string {
	t.Helper()
	s, err := sha256File(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestCRDsFile checks the release's CRD file holds every generated CRD, as separate documents.
func TestCRDsFile(t *testing.T) {
	out := filepath.Join(t.TempDir(), "crds.yaml")
	if err := writeCRDs(filepath.Join(root, "config", "crd", "bases"), out); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, doc := range strings.Split(string(data), "---\n") {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.UnmarshalStrict([]byte(doc), &crd); err != nil {
			t.Fatal(err)
		}
		names = append(names, crd.Name)
	}
	if want := []string{"namespacemappings.dr-syncer.io", "parkingrules.dr-syncer.io", "remoteclusters.dr-syncer.io"}; strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("CRDs %q, want %q", names, want)
	}
}
