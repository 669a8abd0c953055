package testbed

import (
	"net"
	"os"
	"strings"
	"testing"
)

// TestRunnableRetriesATakenPort: a port taken between freePort and the runnable's bind (another
// process on a shared machine) costs a retry on another port, not a failed start.
func TestRunnableRetriesATakenPort(t *testing.T) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Fatal("KUBEBUILDER_ASSETS not set: run through make test (hack/testbin.sh builds the binaries)")
	}
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	orig := freePort
	calls := 0
	freePort = func() (int, error) {
		calls++
		if calls == 1 {
			return taken.Addr().(*net.TCPAddr).Port, nil
		}
		return orig()
	}
	defer func() { freePort = orig }()

	clusters, err := Start(Options{}, "ports")
	if err != nil {
		t.Fatal(err)
	}
	c := clusters[0]
	defer func() {
		if err := c.Stop(); err != nil {
			t.Error(err)
		}
	}()
	if err := c.StartRunnables(Runnables{Scheduler: true}); err != nil {
		t.Fatal(err)
	}
	if calls != 2 {
		t.Errorf("freePort called %d times, want 2 (the taken port, then another)", calls)
	}
	if len(c.runnables) != 1 {
		t.Errorf("%d runnables recorded, want the one scheduler that serves", len(c.runnables))
	}
	log, err := os.ReadFile(c.runnables[0].logPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), "address already in use") {
		t.Errorf("the first scheduler did not fail on the taken port:\n%s", log)
	}
}
