package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
)

// packageChart packages the chart in dir as `helm package --version --app-version` would, with
// version (without the v) and appVersion (the image tag, with it) set from the release, after a
// strict lint. It returns the path of the .tgz.
func packageChart(dir string, m meta, out string) (string, error) {
	linter := lint.All(dir, nil, "dr-syncer-system", false)
	for _, msg := range linter.Messages {
		if msg.Severity >= support.WarningSev {
			return "", fmt.Errorf("lint: %s", msg)
		}
	}
	chrt, err := loader.Load(dir)
	if err != nil {
		return "", err
	}
	chrt.Metadata.Version = strings.TrimPrefix(m.Version, "v")
	chrt.Metadata.AppVersion = m.Version
	if strings.Contains(m.Version, "-") {
		chrt.Metadata.Annotations["artifacthub.io/prerelease"] = "true"
	} else {
		chrt.Metadata.Annotations["artifacthub.io/prerelease"] = "false"
	}
	if err := chrt.Validate(); err != nil {
		return "", err
	}
	return chartutil.Save(chrt, out)
}

// writeCRDs concatenates the generated CRDs into one file, for `kubectl apply --server-side` when
// the CRDs are managed outside the chart (crds.enabled=false) or upgraded ahead of it.
func writeCRDs(dir, out string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no CRDs in %s", dir)
	}
	var b bytes.Buffer
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if !bytes.HasPrefix(data, []byte("---\n")) {
			b.WriteString("---\n")
		}
		b.Write(data)
	}
	return os.WriteFile(out, b.Bytes(), 0o644)
}
