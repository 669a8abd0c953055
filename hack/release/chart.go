package main

import (
	"fmt"
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
