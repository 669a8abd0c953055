package e2e

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
)

// recipe returns the command lines of the "Disaster day, step by step" block of docs/cli.md,
// comments dropped.
func recipe(t *testing.T) []string {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	doc, err := os.ReadFile(filepath.Join(filepath.Dir(here), "..", "..", "docs", "cli.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "## Disaster day, step by step")
	if !ok {
		t.Fatal("docs/cli.md has no disaster-day section")
	}
	_, block, _ := strings.Cut(section, "```sh\n")
	block, _, _ = strings.Cut(block, "```")
	var out []string
	for _, l := range strings.Split(block, "\n") {
		l, _, _ = strings.Cut(l, "#")
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// TestDemoDisasterDay runs the disaster-day recipe of docs/cli.md, line by line as written,
// against the live `dr-syncer demo`: every command exits 0, and the demo is Live after the
// cutovers and replicating again after the failback.
func TestDemoDisasterDay(t *testing.T) {
	lines := recipe(t)
	d := startDemo(t, "demo")
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, 90*time.Second, true, func(context.Context) (bool, error) {
		if d.exited() {
			return false, errors.New("the demo exited")
		}
		return strings.Contains(d.out.String(), "until you press Ctrl-C"), nil
	})
	if err != nil {
		t.Fatalf("the demo did not come up (%v):\n%s", err, d.out.String())
	}
	env := os.Environ()
	for _, l := range lines {
		if v, ok := strings.CutPrefix(l, "export KUBECONFIG="); ok {
			env = append(env, "KUBECONFIG="+strings.Replace(v, "/tmp/dr-syncer-demo-123", d.dir(t), 1))
			continue
		}
		args := strings.Fields(l)
		if args[0] != "dr-syncer" {
			t.Fatalf("recipe line %q: want dr-syncer commands only", l)
		}
		cmd := exec.Command(buildBinary(t), args[1:]...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		t.Logf("$ %s\n%s", l, out)
		if err != nil {
			t.Fatalf("%s: %v\n%s", l, err, out)
		}
		switch {
		case strings.Contains(l, "status") && strings.Contains(l, "-o wide"):
			if !strings.Contains(string(out), " Live ") {
				t.Errorf("status after the cutovers shows no Live mapping:\n%s", out)
			}
			// The demo's live table shows the app running in dr now, and nothing in the parked prod.
			live := regexp.MustCompile(`prod\s+shop\s+0\s+0\s*\ndr\s+shop\s+3\s+3`)
			err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
				return live.MatchString(d.out.String()), nil
			})
			if err != nil {
				t.Errorf("the demo's live table never showed 3 ready Pods in dr and none in prod:\n%s", d.out.String())
			}
		case strings.Contains(l, "failback") && !strings.Contains(l, "--dry-run"):
			if !strings.Contains(string(out), "failback done") {
				t.Errorf("failback did not finish:\n%s", out)
			}
		}
	}
	if err := d.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := d.wait(30 * time.Second); err != nil {
		t.Fatalf("demo after SIGINT: %v\n%s", err, d.out.String())
	}
	d.expectCleanedUp(t)
}
