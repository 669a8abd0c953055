package ops

import (
	"context"
	"fmt"
	"io"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/dr-syncer/dr-syncer/internal/cluster"
)

// steps prints the progress of a cutover or failback, one line per step and per change, and
// counts what it reports into the Report.
type steps struct {
	out    io.Writer
	dryRun bool
	n, of  int
	rep    *Report
	// sim holds what the syncs of a dry run would have written, for the steps after them.
	sim simulated
}

func newSteps(o Options, total int) *steps {
	out := o.Out
	if out == nil {
		out = io.Discard
	}
	return &steps{out: out, dryRun: o.DryRun, of: total, rep: &Report{}, sim: simulated{}}
}

// step starts the next numbered step.
func (s *steps) step(format string, args ...any) {
	s.n++
	fmt.Fprintf(s.out, "[%d/%d] %s\n", s.n, s.of, fmt.Sprintf(format, args...))
}

// change reports one write (with DryRun: one write that would be made).
func (s *steps) change(format string, args ...any) {
	s.rep.Changes++
	prefix := "  "
	if s.dryRun {
		prefix = "  (dry run) "
	}
	fmt.Fprintf(s.out, "%s%s\n", prefix, fmt.Sprintf(format, args...))
}

// note reports something that needs no write.
func (s *steps) note(format string, args ...any) {
	fmt.Fprintf(s.out, "  %s\n", fmt.Sprintf(format, args...))
}

// warn reports a step skipped or left incomplete.
func (s *steps) warn(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	s.rep.Warnings = append(s.rep.Warnings, msg)
	fmt.Fprintf(s.out, "  warning: %s\n", msg)
}

// list lists the workloads of h's namespace ns, as an earlier sync of a dry run would have left
// them (see simulated).
func (s *steps) list(ctx context.Context, h *cluster.Handle, ns string, sel labels.Selector, kinds []workloadKind) ([]workload, error) {
	ws, err := listWorkloads(ctx, h, ns, sel, kinds)
	if err != nil {
		return nil, err
	}
	return s.sim.apply(h, ns, sel, ws), nil
}
