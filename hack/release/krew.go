package main

import (
	"fmt"
	"os"

	"sigs.k8s.io/yaml"
)

// krewPlugin is krew's Plugin manifest (krew.googlecontainertools.github.com/v1alpha2), the
// fields we set.
type krewPlugin struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Version          string         `json:"version"`
		Homepage         string         `json:"homepage"`
		ShortDescription string         `json:"shortDescription"`
		Description      string         `json:"description"`
		Platforms        []krewPlatform `json:"platforms"`
	} `json:"spec"`
}

type krewPlatform struct {
	Selector struct {
		MatchLabels map[string]string `json:"matchLabels"`
	} `json:"selector"`
	URI    string     `json:"uri"`
	SHA256 string     `json:"sha256"`
	Bin    string     `json:"bin"`
	Files  []krewFile `json:"files"`
}

type krewFile struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// writeKrewManifest writes the krew plugin manifest: `kubectl krew install --manifest=dr-syncer.yaml
// --archive=dr-syncer_<version>_<os>_<arch>.tar.gz` installs the plugin from the release files, and
// the URIs point at the release's download page.
func writeKrewManifest(m meta, archives []archive, out string) error {
	p := krewPlugin{APIVersion: "krew.googlecontainertools.github.com/v1alpha2", Kind: "Plugin"}
	p.Metadata.Name = "dr-syncer"
	p.Spec.Version = m.Version
	p.Spec.Homepage = m.Repository
	p.Spec.ShortDescription = "Replicate namespaces into a disaster-recovery cluster"
	p.Spec.Description = "Plans, syncs, cuts over and fails back namespaces between a production and a\n" +
		"disaster-recovery cluster: kubectl dr-syncer plan|sync|cutover|failback|status|trigger.\n"
	for _, a := range archives {
		kp := krewPlatform{
			URI:    fmt.Sprintf("%s/releases/download/%s/dr-syncer_%s_%s_%s.tar.gz", m.Repository, m.Version, m.Version, a.Platform.OS, a.Platform.Arch),
			SHA256: a.SHA256,
			Bin:    "dr-syncer",
			Files:  []krewFile{{From: "dr-syncer", To: "."}, {From: "LICENSE", To: "."}},
		}
		kp.Selector.MatchLabels = map[string]string{"os": a.Platform.OS, "arch": a.Platform.Arch}
		p.Spec.Platforms = append(p.Spec.Platforms, kp)
	}
	data, err := yaml.Marshal(p)
	if err != nil {
		return err
	}
	return os.WriteFile(out, data, 0o644)
}
