package main

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// versionPkg is the package whose variables -ldflags -X sets.
const versionPkg = "github.com/dr-syncer/dr-syncer/internal/version"

// ldflags strips the symbol table and stamps the version, commit and date into the binary.
func ldflags(m meta) string {
	return strings.Join([]string{
		"-s", "-w",
		"-X", versionPkg + ".Version=" + m.Version,
		"-X", versionPkg + ".Commit=" + m.Commit,
		"-X", versionPkg + ".Date=" + m.Date.Format("2006-01-02T15:04:05Z"),
	}, " ")
}

// mainPkg is the package of the dr-syncer binary.
const mainPkg = "./cmd/dr-syncer"

// buildBinary builds pkg as a static binary (CGO_ENABLED=0, -trimpath) for p into out, stamped
// with m's version, commit and date.
func buildBinary(ctx context.Context, root, pkg string, p platform, m meta, out string) error {
	return goBuild(ctx, root, pkg, out, ldflags(m), []string{"CGO_ENABLED=0", "GOOS=" + p.OS, "GOARCH=" + p.Arch}, "-trimpath")
}

// goBuild runs go build in root with extra environment variables and flags.
func goBuild(ctx context.Context, root, pkg, out, ldflags string, env []string, flags ...string) error {
	abs, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	args := append([]string{"build", "-buildvcs=false", "-ldflags", ldflags, "-o", abs}, flags...)
	cmd := exec.CommandContext(ctx, "go", append(args, pkg)...)
	cmd.Dir = root
	cmd.Env = append(append(os.Environ(), "GOFLAGS=-mod=readonly"), env...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s %v: %w\n%s", pkg, env, err, b)
	}
	return nil
}

// archive is a platform's tar.gz for krew: the binary and the licence.
type archive struct {
	Platform platform
	Path     string
	SHA256   string
}

// writeArchive packs the binary (as dr-syncer) and LICENSE into dr-syncer_<version>_<os>_<arch>.tar.gz.
func writeArchive(dir string, p platform, m meta, bin, license string) (archive, error) {
	a := archive{Platform: p, Path: filepath.Join(dir, fmt.Sprintf("dr-syncer_%s_%s_%s.tar.gz", m.Version, p.OS, p.Arch))}
	f, err := os.Create(a.Path)
	if err != nil {
		return a, err
	}
	defer f.Close()
	zw := gzip.NewWriter(f)
	tw := tar.NewWriter(zw)
	for _, e := range []struct {
		name, src string
		mode      int64
	}{{"dr-syncer", bin, 0o755}, {"LICENSE", license, 0o644}} {
		data, err := os.ReadFile(e.src)
		if err != nil {
			return a, err
		}
		if err := addFile(tw, e.name, data, e.mode, m); err != nil {
			return a, err
		}
	}
	if err := tw.Close(); err != nil {
		return a, err
	}
	if err := zw.Close(); err != nil {
		return a, err
	}
	if err := f.Close(); err != nil {
		return a, err
	}
	a.SHA256, err = sha256File(a.Path)
	return a, err
}

// addFile writes one regular file, owned by root, dated with the build date.
func addFile(tw *tar.Writer, name string, data []byte, mode int64, m meta) error {
	if err := tw.WriteHeader(&tar.Header{
		Typeflag: tar.TypeReg, Name: name, Size: int64(len(data)), Mode: mode, ModTime: m.Date, Format: tar.FormatPAX,
	}); err != nil {
		return err
	}
	_, err := tw.Write(data)
	return err
}

func sha256File(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// writeChecksums writes SHA256SUMS in the format `sha256sum -c` reads.
func writeChecksums(path string, files []string) error {
	sort.Slice(files, func(i, j int) bool { return filepath.Base(files[i]) < filepath.Base(files[j]) })
	var b strings.Builder
	for _, f := range files {
		sum, err := sha256File(f)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s  %s\n", sum, filepath.Base(f))
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
