// Package faults checks what dr-syncer promises under faults (docs/reliability.md): the real
// binary as a process, killed or cut off from a cluster in the middle of its work, on real
// control planes. Run it with `make test-faults`.
package faults

import (
	"fmt"
	"os"
	"testing"

	"github.com/dr-syncer/dr-syncer/internal/cluster"
	"github.com/dr-syncer/dr-syncer/internal/testbed"
)

var (
	// prodTB is where the controller runs and the source namespaces live; drTB is the DR cluster.
	prodTB, drTB *testbed.Cluster
	prod, dr     *cluster.Handle
	// binary is the dr-syncer binary built for this run.
	binary string
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "dr-syncer-faults-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "faults:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if binary, err = testbed.BuildBinary(dir); err != nil {
		fmt.Fprintln(os.Stderr, "faults:", err)
		return 1
	}
	clusters, err := testbed.Start(testbed.Options{}, "prod", "dr")
	if err != nil {
		fmt.Fprintln(os.Stderr, "faults:", err)
		return 1
	}
	defer testbed.StopAll(clusters)
	prodTB, drTB = clusters[0], clusters[1]
	if prod, err = cluster.New("prod", prodTB.Config); err != nil {
		fmt.Fprintln(os.Stderr, "faults:", err)
		return 1
	}
	if dr, err = cluster.New("dr", drTB.Config); err != nil {
		fmt.Fprintln(os.Stderr, "faults:", err)
		return 1
	}
	return m.Run()
}
