package main

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// nonRoot is the user and group the image runs as, distroless' "nonroot".
const nonRoot = "65532:65532"

// passwd and group name the nonroot user, so that tools inside and outside the image can show it.
const (
	passwd = "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
	group  = "root:x:0:\nnonroot:x:65532:\n"
)

// imageLabels are the OCI annotations of the image, as labels in its config and annotations on
// its index.
func imageLabels(m meta) map[string]string {
	return map[string]string{
		"org.opencontainers.image.title":       "dr-syncer",
		"org.opencontainers.image.description": "dr-syncer replicates Kubernetes namespaces into a disaster-recovery cluster",
		"org.opencontainers.image.version":     m.Version,
		"org.opencontainers.image.revision":    m.Commit,
		"org.opencontainers.image.source":      m.Repository,
		"org.opencontainers.image.url":         m.Repository,
		"org.opencontainers.image.licenses":    "Apache-2.0",
		"org.opencontainers.image.created":     m.Date.Format("2006-01-02T15:04:05Z"),
	}
}

// buildImage builds the multi-arch image index: for each linux architecture an image from scratch
// holding the static binary at /dr-syncer, the licence and a passwd naming the nonroot user.
func buildImage(m meta, binaries map[string]string, license string) (v1.ImageIndex, error) {
	labels := imageLabels(m)
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	arches := make([]string, 0, len(binaries))
	for arch := range binaries {
		arches = append(arches, arch)
	}
	sort.Strings(arches)
	for _, arch := range arches {
		img, err := archImage(m, arch, binaries[arch], license, labels)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", arch, err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        img,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}},
		})
	}
	return mutate.Annotations(idx, labels).(v1.ImageIndex), nil
}

func archImage(m meta, arch, bin, license string, labels map[string]string) (v1.Image, error) {
	binData, err := os.ReadFile(bin)
	if err != nil {
		return nil, err
	}
	licData, err := os.ReadFile(license)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, dir := range []string{"etc/", "licenses/", "tmp/"} {
		mode := int64(0o755)
		if dir == "tmp/" {
			mode = 0o1777
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir, Mode: mode, ModTime: m.Date, Format: tar.FormatPAX}); err != nil {
			return nil, err
		}
	}
	for _, f := range []struct {
		name string
		data []byte
		mode int64
	}{
		{"dr-syncer", binData, 0o755},
		{"etc/group", []byte(group), 0o644},
		{"etc/passwd", []byte(passwd), 0o644},
		{"licenses/LICENSE", licData, 0o644},
	} {
		if err := addFile(tw, f.name, f.data, f.mode, m); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	layerBytes := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerBytes)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}

	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err := mutate.Append(base, mutate.Addendum{Layer: layer, History: v1.History{
		Created: v1.Time{Time: m.Date}, CreatedBy: "hack/release: dr-syncer " + m.Version, Comment: "static binary",
	}})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", arch
	cf.Created = v1.Time{Time: m.Date}
	cf.Config = v1.Config{
		Entrypoint: []string{"/dr-syncer"},
		Cmd:        []string{"controller"},
		User:       nonRoot,
		WorkingDir: "/",
		Env:        []string{"PATH=/"},
		Labels:     labels,
	}
	return mutate.ConfigFile(img, cf)
}

// writeImage builds the image and writes it as an OCI image layout in a tar file (what
// `docker buildx --output type=oci` writes; `skopeo copy oci-archive:...` or `crane push` after
// unpacking publish it). The index is tagged with the version (org.opencontainers.image.ref.name).
func writeImage(m meta, binaries map[string]string, license, out string) error {
	idx, err := buildImage(m, binaries, license)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "dr-syncer-image-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	if err := p.AppendIndex(idx, layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": m.Version,
	})); err != nil {
		return err
	}
	return tarDir(dir, out, m)
}

// tarDir writes the files under dir into a tar file, in name order, with fixed owners and dates.
func tarDir(dir, out string, m meta) error {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == dir {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: rel + "/", Mode: 0o755, ModTime: m.Date, Format: tar.FormatPAX})
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return addFile(tw, rel, data, 0o644, m)
	})
	if err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return f.Close()
}
