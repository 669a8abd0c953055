package cli

import (
	"bytes"
	"strings"
	"testing"
)

// TestWaitTimeoutMustBePositive: cutover (waiting) and drill refuse --timeout 0 or a negative
// duration with a clear error before reading any cluster, instead of waiting the default.
func TestWaitTimeoutMustBePositive(t *testing.T) {
	for _, args := range [][]string{
		{"cutover", "--mapping", "ns/m", "--timeout", "0"},
		{"cutover", "--mapping", "ns/m", "--timeout=-5s"},
		{"drill", "--mapping", "ns/m", "--timeout", "0s"},
		{"drill", "--mapping", "ns/m", "--timeout=-1m"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			root := NewRootCommand()
			var out bytes.Buffer
			root.SetOut(&out)
			root.SetErr(&out)
			root.SetArgs(append(args, "--kubeconfig", "/nonexistent/kubeconfig"))
			err := root.Execute()
			if err == nil || !strings.Contains(err.Error(), "--timeout must be a positive duration") {
				t.Fatalf("error %v; want one saying --timeout must be positive", err)
			}
		})
	}
}
