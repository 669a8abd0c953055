package cli

import (
	"bytes"
	"strings"
	"testing"
)

func TestDemoCommandHelp(t *testing.T) {
	var out bytes.Buffer
	root := NewRootCommand()
	root.SetOut(&out)
	root.SetArgs([]string{"demo", "--help"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"make demo", "dr-syncer demo --check", "--assets-dir", "prod.kubeconfig get nsmap -A"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q", want)
		}
	}
}

// TestDemoCommandNeedsAssets: without kube-apiserver and etcd the demo says how to get them, before
// starting anything.
func TestDemoCommandNeedsAssets(t *testing.T) {
	empty := t.TempDir()
	for name, args := range map[string][]string{
		"flag":        {"demo", "--check", "--assets-dir", empty},
		"environment": {"demo", "--check"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv("KUBEBUILDER_ASSETS", empty)
			var out bytes.Buffer
			root := NewRootCommand()
			root.SetOut(&out)
			root.SetArgs(args)
			err := root.Execute()
			if err == nil || !strings.Contains(err.Error(), "make testbin") || !strings.Contains(err.Error(), empty) {
				t.Fatalf("error %v, want one naming %s and `make testbin`", err, empty)
			}
			if out.Len() != 0 {
				t.Errorf("printed before checking the binaries:\n%s", out.String())
			}
		})
	}
}

func TestDemoCommandRejectsArguments(t *testing.T) {
	root := NewRootCommand()
	root.SetArgs([]string{"demo", "extra"})
	if err := root.Execute(); err == nil {
		t.Fatal("demo accepted a positional argument")
	}
}
