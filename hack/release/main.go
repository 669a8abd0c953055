// Command release builds every artefact of a dr-syncer release into one folder from one version:
// static binaries and their archives, the packaged Helm chart, the CRDs in one file, the multi-arch container image as an
// OCI image layout tarball (no Docker engine needed), a krew plugin manifest and SHA256SUMS.
//
//	go run ./hack/release -version v0.1.0 -commit $(git rev-parse HEAD) -date 2026-01-02T03:04:05Z -out dist
//
// `make release VERSION=v0.1.0` runs it with the commit and its date.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"time"
)

// platforms are the operating systems and architectures a release has binaries for; the image
// holds the linux ones.
var platforms = []platform{{"linux", "amd64"}, {"linux", "arm64"}, {"darwin", "amd64"}, {"darwin", "arm64"}}

// platform is one GOOS/GOARCH pair.
type platform struct{ OS, Arch string }

func (p platform) String() string { return p.OS + "/" + p.Arch }

// meta is what a release is built from.
type meta struct {
	Version string    // vX.Y.Z
	Commit  string    // the full git commit
	Date    time.Time // the build date (the commit's, for reproducible builds)
	// Repository is the source repository's URL, for the image's labels and the krew manifest.
	Repository string
	// ImageRepository is where the image is published, for the chart's default values.
	ImageRepository string
}

// semver is a release version as the tags are written: v, then SemVer 2 without build metadata
// ("+" is valid neither in an image tag nor in a label value, and the version is both).
var semver = regexp.MustCompile(`^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?$`)

func main() {
	var (
		m    meta
		date string
		out  string
		root string
	)
	flag.StringVar(&m.Version, "version", "", "release version, vX.Y.Z (required)")
	flag.StringVar(&m.Commit, "commit", "", "git commit the release is built from (required)")
	flag.StringVar(&date, "date", "", "build date, RFC 3339 (required; use the commit's date for reproducible builds)")
	flag.StringVar(&m.Repository, "repository", "https://github.com/dr-syncer/dr-syncer", "source repository URL")
	flag.StringVar(&m.ImageRepository, "image-repository", "ghcr.io/dr-syncer/dr-syncer", "image repository the chart points at")
	flag.StringVar(&out, "out", "dist", "output folder; emptied first")
	flag.StringVar(&root, "root", ".", "the module's root folder")
	flag.Parse()

	if err := m.parse(date); err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, m, root, out); err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(1)
	}
}

func (m *meta) parse(date string) error {
	if !semver.MatchString(m.Version) {
		return fmt.Errorf("-version %q: want a tag like v1.2.3 (SemVer with a leading v)", m.Version)
	}
	if m.Commit == "" {
		return fmt.Errorf("-commit is required")
	}
	d, err := time.Parse(time.RFC3339, date)
	if err != nil {
		return fmt.Errorf("-date: %w", err)
	}
	m.Date = d.UTC()
	return nil
}

// run builds the release into out.
func run(ctx context.Context, m meta, root, out string) error {
	start := time.Now()
	if err := os.RemoveAll(out); err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	license := filepath.Join(root, "LICENSE")

	var files []string // every artefact, for SHA256SUMS
	linux := map[string]string{}
	var archives []archive
	for _, p := range platforms {
		t := time.Now()
		bin := filepath.Join(out, fmt.Sprintf("dr-syncer-%s-%s", p.OS, p.Arch))
		if err := buildBinary(ctx, root, mainPkg, p, m, bin); err != nil {
			return err
		}
		a, err := writeArchive(out, p, m, bin, license)
		if err != nil {
			return err
		}
		fmt.Printf("%-14s %s, %s (%s)\n", p, filepath.Base(bin), filepath.Base(a.Path), time.Since(t).Round(time.Second))
		files = append(files, bin, a.Path)
		archives = append(archives, a)
		if p.OS == "linux" {
			linux[p.Arch] = bin
		}
	}

	t := time.Now()
	img := filepath.Join(out, fmt.Sprintf("dr-syncer_%s_image.oci.tar", m.Version))
	if err := writeImage(m, linux, license, img); err != nil {
		return fmt.Errorf("image: %w", err)
	}
	fmt.Printf("%-14s %s (%s)\n", "image", filepath.Base(img), time.Since(t).Round(time.Second))

	chartFile, err := packageChart(filepath.Join(root, "charts", "dr-syncer"), m, out)
	if err != nil {
		return fmt.Errorf("chart: %w", err)
	}
	fmt.Printf("%-14s %s\n", "chart", filepath.Base(chartFile))

	krew := filepath.Join(out, "dr-syncer.yaml")
	if err := writeKrewManifest(m, archives, krew); err != nil {
		return fmt.Errorf("krew manifest: %w", err)
	}
	fmt.Printf("%-14s %s\n", "krew", filepath.Base(krew))

	crds := filepath.Join(out, "dr-syncer-crds.yaml")
	if err := writeCRDs(filepath.Join(root, "config", "crd", "bases"), crds); err != nil {
		return fmt.Errorf("CRDs: %w", err)
	}
	fmt.Printf("%-14s %s\n", "crds", filepath.Base(crds))

	files = append(files, img, chartFile, krew, crds)
	if err := writeChecksums(filepath.Join(out, "SHA256SUMS"), files); err != nil {
		return err
	}
	fmt.Printf("release %s in %s (%s)\n", m.Version, out, time.Since(start).Round(time.Second))
	return nil
}
